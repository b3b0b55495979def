// SHA-256's low-level interface is deprecated in OpenSSL 3, not removed; see the header.
// (Before any OpenSSL header, the own one included.)
#define OPENSSL_SUPPRESS_DEPRECATED

#include "core/hmac_sha256.h"

#include <openssl/crypto.h>

#include <cstdlib>
#include <cstring>

namespace strm {
namespace {

// OpenSSL's SHA-256 only fails on a null pointer: a MAC must never be silently wrong.
void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

HmacSha256::HmacSha256(std::span<const uint8_t> key) {
  uint8_t block[SHA256_CBLOCK] = {};
  if (key.size() > sizeof block) {
    SHA256_CTX c;
    Check(SHA256_Init(&c) == 1 && SHA256_Update(&c, key.data(), key.size()) == 1 &&
          SHA256_Final(block, &c) == 1);
    OPENSSL_cleanse(&c, sizeof c);
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  for (SHA256_CTX* state : {&inner_, &outer_}) {
    const uint8_t pad = state == &inner_ ? 0x36 : 0x5c;
    uint8_t padded[SHA256_CBLOCK];
    for (size_t i = 0; i < sizeof padded; ++i) padded[i] = block[i] ^ pad;
    Check(SHA256_Init(state) == 1 && SHA256_Update(state, padded, sizeof padded) == 1);
    OPENSSL_cleanse(padded, sizeof padded);
  }
  OPENSSL_cleanse(block, sizeof block);
}

HmacSha256::~HmacSha256() {
  OPENSSL_cleanse(&inner_, sizeof inner_);
  OPENSSL_cleanse(&outer_, sizeof outer_);
}

std::array<uint8_t, 32> HmacSha256::Mac(std::string_view message) const {
  std::array<uint8_t, 32> mac{};
  SHA256_CTX state = inner_;
  Check(SHA256_Update(&state, message.data(), message.size()) == 1 &&
        SHA256_Final(mac.data(), &state) == 1);
  state = outer_;
  Check(SHA256_Update(&state, mac.data(), mac.size()) == 1 &&
        SHA256_Final(mac.data(), &state) == 1);
  OPENSSL_cleanse(&state, sizeof state);
  return mac;
}

}  // namespace strm
