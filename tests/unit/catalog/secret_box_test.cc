#include "catalog/secret_box.h"
#include "privacy/aes_block.h"
#include "testing/test_support.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace strm {
namespace {

using ::strm::testing::MasterKeyEnv;

namespace fs = std::filesystem;

constexpr std::string_view kDecryptError =
    "cannot decrypt a stored secret: the master key is not the one it was sealed with, or the "
    "catalog was altered";
constexpr std::string_view kBadEnvKey =
    "STRM_MASTER_KEY must be 64 hex digits or the base64 of 32 bytes";

std::array<uint8_t, 32> Key(uint8_t first) {
  std::array<uint8_t, 32> k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return k;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SecretBoxTest, SealOpenRoundTrip) {
  SecretBox box(Key(0));
  for (std::string plain : {std::string(), std::string("s3cr3t"), std::string(1000, 'x'),
                            std::string("nul\0inside", 10)}) {
    Bytes sealed = box.Seal(plain, "data_connector/demo");
    EXPECT_EQ(sealed.size(), 12 + plain.size() + 16) << "nonce ‖ ciphertext ‖ tag";
    auto opened = box.Open(sealed, "data_connector/demo");
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    EXPECT_EQ(*opened, plain);
  }
}

TEST(SecretBoxTest, SealingTwiceGivesDifferentCiphertexts) {
  SecretBox box(Key(0));
  Bytes a = box.Seal("same", "ctx"), b = box.Seal("same", "ctx");
  EXPECT_NE(a, b) << "a random nonce per seal";
  EXPECT_EQ(*box.Open(a, "ctx"), "same");
  EXPECT_EQ(*box.Open(b, "ctx"), "same");
}

TEST(SecretBoxTest, CiphertextDoesNotContainThePlaintext) {
  SecretBox box(Key(0));
  Bytes sealed = box.Seal("s3cr3t-value", "ctx");
  EXPECT_EQ(std::string(AsChars(sealed)).find("s3cr3t"), std::string::npos);
}

TEST(SecretBoxTest, DifferentContextFails) {
  SecretBox box(Key(0));
  Bytes sealed = box.Seal("s3cr3t", "data_connector/a");
  auto opened = box.Open(sealed, "data_connector/b");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(opened.status().message(), kDecryptError);
}

TEST(SecretBoxTest, DifferentMasterKeyFails) {
  Bytes sealed = SecretBox(Key(0)).Seal("s3cr3t", "ctx");
  auto opened = SecretBox(Key(1)).Open(sealed, "ctx");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(opened.status().message(), kDecryptError);
}

TEST(SecretBoxTest, AnyFlippedByteFails) {
  SecretBox box(Key(0));
  Bytes sealed = box.Seal("s3cr3t", "ctx");
  for (size_t i = 0; i < sealed.size(); ++i) {  // nonce, ciphertext and tag
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    auto opened = box.Open(bad, "ctx");
    ASSERT_FALSE(opened.ok()) << "byte " << i;
    EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(opened.status().message(), kDecryptError);
  }
}

TEST(SecretBoxTest, TruncatedInputFails) {
  SecretBox box(Key(0));
  Bytes sealed = box.Seal("s3cr3t", "ctx");
  // Shorter than nonce + tag: cannot even be parsed.
  for (size_t n : {size_t{0}, size_t{1}, size_t{27}}) {
    auto opened = box.Open(std::span(sealed.data(), n), "ctx");
    ASSERT_FALSE(opened.ok()) << n;
    EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(opened.status().message(), "a sealed secret is truncated");
  }
  // Long enough to parse, but the tag no longer matches.
  for (size_t n : {size_t{28}, sealed.size() - 1}) {
    auto opened = box.Open(std::span(sealed.data(), n), "ctx");
    ASSERT_FALSE(opened.ok()) << n;
    EXPECT_EQ(opened.status().message(), kDecryptError);
  }
}

TEST(SecretBoxTest, LookupIdIsAKeyedHmac) {
  SecretBox box(Key(0));
  auto a = box.LookupId("alice");
  EXPECT_EQ(a.size(), 16u);
  // HMAC-SHA256(HMAC-SHA256(00..1f, "strm key lookup v1"), "alice")[:16]: pinned, since a
  // change would orphan every key in existing catalogs.
  EXPECT_EQ(HexEncode(a), "bc167600a5ee2a8e92a07e9fbd468fb2");
  EXPECT_EQ(box.LookupId("alice"), a) << "deterministic";
  EXPECT_EQ(SecretBox(Key(0)).LookupId("alice"), a) << "depends only on the master key";
  EXPECT_NE(box.LookupId("bob"), a);
  EXPECT_NE(box.LookupId("alice "), a);
  EXPECT_NE(box.LookupId(""), a);
  EXPECT_NE(SecretBox(Key(1)).LookupId("alice"), a);
}

// A subkey as SecretBox derives it from the master key: HMAC-SHA256(master, label).
std::array<uint8_t, 32> HmacSha256(std::span<const uint8_t, 32> key, std::string_view label) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  EXPECT_NE(HMAC(EVP_sha256(), key.data(), 32, reinterpret_cast<const uint8_t*>(label.data()),
                 label.size(), out.data(), &len),
            nullptr);
  return out;
}

// The ids come from precomputed hash states: they are OpenSSL's HMAC for every message length
// around SHA-256's 64-byte blocks (the padding of the inner hash changes at 56 and 64).
TEST(SecretBoxTest, LookupIdIsOpenSslsHmacForEveryLength) {
  const auto master = Key(3);
  const auto lookup_key = HmacSha256(master, "strm key lookup v1");
  unsigned int len = 0;
  SecretBox box(master);
  SecretBox::Batch batch(box);
  std::string message;
  for (size_t n = 0; n <= 200; ++n) {
    uint8_t want[32];
    ASSERT_NE(HMAC(EVP_sha256(), lookup_key.data(), 32,
                   reinterpret_cast<const uint8_t*>(message.data()), message.size(), want, &len),
              nullptr);
    EXPECT_EQ(HexEncode(batch.LookupId(message)), HexEncode(std::span(want, 16))) << n;
    message += static_cast<char>('a' + n % 26);
  }
}

// Seals are AES-256-GCM under the derived seal key, byte for byte what OpenSSL's EVP makes,
// with the AES-NI block and with the fallback, for every length around the 16-byte blocks.
TEST(SecretBoxTest, SealIsAes256GcmWithEitherAesBackend) {
  const auto master = Key(5);
  const auto seal_key = HmacSha256(master, "strm secrets v1");
  auto evp_seal = [&](const std::string& plain, const std::string& aad, const uint8_t* nonce) {
    Bytes out(12 + plain.size() + 16);
    std::memcpy(out.data(), nonce, 12);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    EXPECT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, seal_key.data(), nonce), 1);
    EXPECT_EQ(EVP_EncryptUpdate(ctx, nullptr, &n, reinterpret_cast<const uint8_t*>(aad.data()),
                                static_cast<int>(aad.size())),
              1);
    EXPECT_EQ(
        EVP_EncryptUpdate(ctx, out.data() + 12, &n, reinterpret_cast<const uint8_t*>(plain.data()),
                          static_cast<int>(plain.size())),
        1);
    EXPECT_EQ(EVP_EncryptFinal_ex(ctx, out.data() + 12 + n, &n), 1);
    EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + 12 + plain.size()),
              1);
    EVP_CIPHER_CTX_free(ctx);
    return out;
  };
  SecretBox box(master);
  for (bool fallback : {false, true}) {
    ForceAesFallbackForTesting(fallback);
    SecretBox::Batch batch(box);
    ForceAesFallbackForTesting(false);
    std::string plain, aad;
    uint8_t nonce[12] = {};
    for (size_t n = 0; n <= 80; ++n) {
      nonce[n % 12] ^= static_cast<uint8_t>(n * 37 + 1);
      const Bytes sealed = batch.Seal(plain, aad, nonce);
      EXPECT_EQ(HexEncode(sealed), HexEncode(evp_seal(plain, aad, nonce)))
          << n << (fallback ? " (fallback)" : "");
      auto opened = box.Open(sealed, aad);
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      EXPECT_EQ(*opened, plain);
      plain += static_cast<char>(n);
      if (n % 3 == 0) aad += static_cast<char>('A' + n % 26);
    }
    // Around the length from which Seal goes through EVP, and a key store chunk's.
    for (size_t n : {size_t{1023}, size_t{1024}, size_t{1025}, size_t{64 * 108 + 4}}) {
      plain.assign(n, static_cast<char>(n));
      nonce[n % 12] ^= 0x5a;
      const Bytes sealed = batch.Seal(plain, aad, nonce);
      EXPECT_EQ(HexEncode(sealed), HexEncode(evp_seal(plain, aad, nonce))) << n;
      auto opened = box.Open(sealed, aad);
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      EXPECT_EQ(*opened, plain);
    }
  }
}

TEST(SecretBoxTest, BatchGivesTheSameLookupIdsAndOpensWhatSingleCallsSeal) {
  SecretBox box(Key(0));
  SecretBox::Batch batch(box);
  // The pinned id of LookupIdIsAKeyedHmac, many times over one context.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(HexEncode(batch.LookupId("alice")), "bc167600a5ee2a8e92a07e9fbd468fb2");
  EXPECT_EQ(batch.LookupId("bob"), box.LookupId("bob"));
  const uint8_t nonce[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  for (std::string plain : {std::string(), std::string("key material"), std::string(300, 'k')}) {
    Bytes sealed = batch.Seal(plain, "ctx", nonce);
    EXPECT_EQ(Bytes(sealed.begin(), sealed.begin() + 12), Bytes(nonce, nonce + 12));
    auto opened = box.Open(sealed, "ctx");
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    EXPECT_EQ(*opened, plain);
    auto again = batch.Open(box.Seal(plain, "ctx"), "ctx");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, plain);
    auto wrong = batch.Open(sealed, "other");
    EXPECT_EQ(wrong.status().message(), kDecryptError);
  }
  // A failed open leaves the context usable.
  auto after = batch.Open(batch.Seal("x", "ctx", nonce), "ctx");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, "x");
}

class MasterKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("strm-secret-box-" + NewUuidV4());
    fs::create_directories(home_);
  }
  void TearDown() override { fs::remove_all(home_); }

  std::string KeyPath() const { return (home_ / "master.key").string(); }
  void WriteKeyFile(const std::string& text, mode_t mode) {
    std::ofstream(KeyPath(), std::ios::binary) << text;
    ASSERT_EQ(::chmod(KeyPath().c_str(), mode), 0);
  }

  MasterKeyEnv env_;
  fs::path home_;
};

TEST_F(MasterKeyTest, CreatesAPrivateKeyFileAndReusesIt) {
  auto first = LoadOrCreateMasterKey(home_.string());
  ASSERT_TRUE(first.ok()) << first.status().message();
  struct stat st;
  ASSERT_EQ(::stat(KeyPath().c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(KeyPath()), HexEncode(*first) + "\n");
  EXPECT_NE(*first, (std::array<uint8_t, 32>{})) << "random, not zero";

  auto second = LoadOrCreateMasterKey(home_.string());
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(*second, *first);
}

TEST_F(MasterKeyTest, DifferentHomesGetDifferentKeys) {
  fs::path other = home_ / "other";
  fs::create_directories(other);
  auto a = LoadOrCreateMasterKey(home_.string());
  auto b = LoadOrCreateMasterKey(other.string());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST_F(MasterKeyTest, ReadsAnExistingKeyFile) {
  WriteKeyFile(HexEncode(Key(7)) + "\n", 0600);
  auto key = LoadOrCreateMasterKey(home_.string());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(*key, Key(7));
}

TEST_F(MasterKeyTest, RefusesAKeyFileReadableByOthers) {
  WriteKeyFile(HexEncode(Key(7)) + "\n", 0644);
  auto key = LoadOrCreateMasterKey(home_.string());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(key.status().message(), "the master key file " + KeyPath() +
                                        " is readable by others; run: chmod 600 " + KeyPath());
}

TEST_F(MasterKeyTest, RefusesAKeyFileReadableByTheGroup) {
  WriteKeyFile(HexEncode(Key(7)) + "\n", 0640);
  auto key = LoadOrCreateMasterKey(home_.string());
  EXPECT_EQ(key.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(MasterKeyTest, RefusesACorruptKeyFile) {
  WriteKeyFile("not a key\n", 0600);
  auto key = LoadOrCreateMasterKey(home_.string());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(key.status().message(), "the master key file " + KeyPath() + " is corrupt");
}

TEST_F(MasterKeyTest, MissingHomeIsAnError) {
  fs::path missing = home_ / "missing";
  auto key = LoadOrCreateMasterKey(missing.string());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kIo);
  EXPECT_EQ(key.status().message(),
            "cannot create " + (missing / "master.key").string() + ": No such file or directory");
}

TEST_F(MasterKeyTest, HexEnvironmentKeyWinsOverTheFile) {
  WriteKeyFile(HexEncode(Key(7)) + "\n", 0600);
  env_.Set(HexEncode(Key(100)));
  auto key = LoadOrCreateMasterKey(home_.string());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(*key, Key(100));
}

TEST_F(MasterKeyTest, UppercaseHexEnvironmentKeyIsAccepted) {
  std::string hex = HexEncode(Key(0xa0));
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  env_.Set(hex);
  auto key = LoadOrCreateMasterKey(home_.string());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(*key, Key(0xa0));
}

TEST_F(MasterKeyTest, Base64EnvironmentKeyWinsOverTheFile) {
  WriteKeyFile(HexEncode(Key(7)) + "\n", 0600);
  env_.Set(Base64Encode(Key(200)));
  auto key = LoadOrCreateMasterKey(home_.string());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(*key, Key(200));
}

TEST_F(MasterKeyTest, EnvironmentKeyCreatesNoFile) {
  env_.Set(HexEncode(Key(100)));
  ASSERT_TRUE(LoadOrCreateMasterKey(home_.string()).ok());
  EXPECT_FALSE(fs::exists(KeyPath()));
}

TEST_F(MasterKeyTest, EnvironmentKeyWinsOverAnUnsafeFile) {
  WriteKeyFile(HexEncode(Key(7)) + "\n", 0644);
  env_.Set(HexEncode(Key(100)));
  auto key = LoadOrCreateMasterKey(home_.string());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(*key, Key(100));
}

TEST_F(MasterKeyTest, BadEnvironmentKeyIsRefused) {
  WriteKeyFile(HexEncode(Key(7)) + "\n", 0600);
  std::string hex = HexEncode(Key(0));
  for (const std::string& bad : {
           std::string("secret"),                       // neither
           hex.substr(0, 62),                           // 31 bytes of hex
           hex + "00",                                  // 33 bytes of hex
           std::string(63, 'a') + "g",                  // 64 characters, not hex
           Base64Encode(std::span(Key(0).data(), 31)),  // base64 of 31 bytes
           Base64Encode(Bytes(33, 1)),                  // base64 of 33 bytes
           Base64Encode(Key(0)) + "\n",                 // base64 with trailing whitespace
       }) {
    env_.Set(bad);
    auto key = LoadOrCreateMasterKey(home_.string());
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(key.status().message(), kBadEnvKey) << bad;
  }
}

TEST_F(MasterKeyTest, EmptyEnvironmentKeyFallsBackToTheFile) {
  WriteKeyFile(HexEncode(Key(7)) + "\n", 0600);
  env_.Set("");
  auto key = LoadOrCreateMasterKey(home_.string());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(*key, Key(7));
}

}  // namespace
}  // namespace strm
