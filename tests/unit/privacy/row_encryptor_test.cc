#include "privacy/row_encryptor.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "aes_backends.h"

namespace strm {
namespace {

using testing::AesBackendTest;
using testing::Backend;

class RowEncryptorTest : public AesBackendTest {};

// VECTORS.md §1: the keyset of a public STRM batch job and three of its ciphertexts.
TEST_P(RowEncryptorTest, EncryptsVectors) {
  auto keyset = ParseTinkKeysetJson(
      R"({"primaryKeyId":714921229,"key":[{"keyData":{"typeUrl":"type.googleapis.com/google.crypto.tink.AesSivKey","value":"EkBKGzBuy9C3UUmWaOzpe7NBEg6QK21FRhZ9MjuD5hpa0+hPJy0kn1HngA9QUT5aGbTNQQyow0V6qJCFoFRQNNTH","keyMaterialType":"SYMMETRIC"},"status":"ENABLED","keyId":714921229,"outputPrefixType":"TINK"}]})");
  ASSERT_TRUE(keyset.ok());
  const std::vector<std::string_view> fields = {"17850", "12583", "Zoë@example.com"};
  std::vector<Bytes> out;
  for (std::string_view f : fields) out.emplace_back(DeterministicAead::kOverhead + f.size());
  std::vector<uint8_t*> ptrs;
  for (Bytes& b : out) ptrs.push_back(b.data());
  RowToEncrypt row{&*keyset, fields, ptrs.data()};
  RowEncryptor().Encrypt({&row, 1});
  EXPECT_EQ(Base64Encode(out[0]), "ASqc1Q0QalDEN+LHeyZSfGHE+s9Lqu4o+jM=");
  EXPECT_EQ(Base64Encode(out[1]), "ASqc1Q1h6ff3aiKFDnas5ivoRc7u8hU/vjo=");
  EXPECT_EQ(Base64Encode(out[2]), "ASqc1Q157vTDVOuDV0It0c/EUQLyysdjgB1g+lp+wnLzWhYUmQ==");
}

// Any mix of rows (1 to 30, several groups of eight and a rest), of field counts (0 to 10,
// past kMaxFields) and of lengths (0 to 300, past kMaxFieldBytes) gives exactly the
// ciphertexts of DeterministicAead row by row, with one encryptor reused throughout.
TEST_P(RowEncryptorTest, MatchesDeterministicAeadRowByRow) {
  std::mt19937 rng(static_cast<unsigned>(GetParam()) + 1);
  RowEncryptor encryptor;
  for (int round = 0; round < 120; ++round) {
    const size_t nrows = 1 + rng() % 30;
    std::vector<TinkKeyset> keysets(nrows);
    std::vector<std::vector<std::string>> values(nrows);
    std::vector<std::vector<std::string_view>> views(nrows);
    std::vector<std::vector<Bytes>> got(nrows);
    std::vector<std::vector<uint8_t*>> ptrs(nrows);
    std::vector<RowToEncrypt> rows(nrows);
    for (size_t r = 0; r < nrows; ++r) {
      std::array<uint8_t, 68> random;
      for (auto& b : random) b = static_cast<uint8_t>(rng());
      keysets[r] = TinkKeysetFromRandom(random);
      const size_t nfields = rng() % 11;
      for (size_t f = 0; f < nfields; ++f) {
        const size_t len = rng() % 8 == 0 ? rng() % 301 : rng() % 48;
        std::string v(len, '\0');
        for (char& c : v) c = static_cast<char>(rng());
        values[r].push_back(std::move(v));
      }
      for (const std::string& v : values[r]) {
        views[r].push_back(v);
        got[r].emplace_back(DeterministicAead::kOverhead + v.size(), 0xEE);
      }
      for (Bytes& b : got[r]) ptrs[r].push_back(b.data());
      rows[r] = {&keysets[r], views[r], ptrs[r].data()};
    }
    encryptor.Encrypt(rows);
    for (size_t r = 0; r < nrows; ++r) {
      DeterministicAead aead(keysets[r]);
      for (size_t f = 0; f < values[r].size(); ++f)
        ASSERT_EQ(got[r][f], aead.Encrypt(values[r][f]))
            << "round " << round << " row " << r << " field " << f << " of " << values[r].size()
            << ", " << values[r][f].size() << " bytes";
    }
  }
}

// Values that end where an unreadable page begins: a path that read past a value's end (a
// whole 16- or 32-byte load of its tail) would crash here.
TEST_P(RowEncryptorTest, ReadsNothingPastAValue) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* base = static_cast<char*>(map);
  ASSERT_EQ(mprotect(base + page, page, PROT_NONE), 0);
  std::mt19937 rng(7);
  for (size_t i = 0; i < page; ++i) base[i] = static_cast<char>(rng());
  RowEncryptor encryptor;
  for (size_t len = 0; len <= 80; ++len) {
    // Eight rows; each row's fields all end at the page's end.
    std::vector<TinkKeyset> keysets;
    for (int r = 0; r < 8; ++r) {
      std::array<uint8_t, 68> random;
      for (auto& b : random) b = static_cast<uint8_t>(rng());
      keysets.push_back(TinkKeysetFromRandom(random));
    }
    std::vector<std::vector<std::string_view>> views(8);
    std::vector<std::vector<Bytes>> got(8);
    std::vector<std::vector<uint8_t*>> ptrs(8);
    std::vector<RowToEncrypt> rows(8);
    for (size_t r = 0; r < 8; ++r) {
      for (size_t f = 0; f < 3; ++f) {
        const size_t n = (len + 5 * f + r) % 81;
        views[r].emplace_back(base + page - n, n);
        got[r].emplace_back(DeterministicAead::kOverhead + n);
      }
      for (Bytes& b : got[r]) ptrs[r].push_back(b.data());
      rows[r] = {&keysets[r], views[r], ptrs[r].data()};
    }
    encryptor.Encrypt(rows);
    for (size_t r = 0; r < 8; ++r) {
      DeterministicAead aead(keysets[r]);
      for (size_t f = 0; f < 3; ++f)
        ASSERT_EQ(got[r][f], aead.Encrypt(views[r][f])) << "len " << len << " row " << r;
    }
  }
  munmap(map, 2 * page);
}

INSTANTIATE_TEST_SUITE_P(Backends, RowEncryptorTest,
                         ::testing::Values(Backend::kAesNi, Backend::kFallback, Backend::kVaes),
                         testing::BackendName);

}  // namespace
}  // namespace strm
