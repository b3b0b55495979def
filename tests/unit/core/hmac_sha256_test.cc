#include "core/hmac_sha256.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "core/bytes.h"

namespace strm {
namespace {

std::string OpenSslHmac(const std::string& key, const std::string& message) {
  uint8_t mac[32];
  unsigned int len = 0;
  EXPECT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const uint8_t*>(message.data()), message.size(), mac, &len),
            nullptr);
  return HexEncode(std::span(mac, 32));
}

// OpenSSL's HMAC for keys shorter than, as long as and longer than a block (hashed first),
// and messages around SHA-256's 64-byte blocks (the padding changes at 56 and 64).
TEST(HmacSha256, IsOpenSslsHmacForEveryKeyAndMessageLength) {
  for (size_t key_size : {0, 1, 32, 63, 64, 65, 200}) {
    std::string key;
    for (size_t i = 0; i < key_size; ++i) key += static_cast<char>(i * 7 + 3);
    const HmacSha256 hmac(AsBytes(key));
    const HmacSha256 copy = hmac;  // independent of the original
    std::string message;
    for (size_t n = 0; n <= 150; ++n) {
      const std::string want = OpenSslHmac(key, message);
      ASSERT_EQ(HexEncode(hmac.Mac(message)), want) << key_size << " " << n;
      ASSERT_EQ(HexEncode(copy.Mac(message)), want) << key_size << " " << n;
      message += static_cast<char>('a' + n % 26);
    }
  }
}

TEST(HmacSha256, Rfc4231TestCase2) {
  const std::string key = "Jefe";
  EXPECT_EQ(HexEncode(HmacSha256(AsBytes(key)).Mac("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace strm
