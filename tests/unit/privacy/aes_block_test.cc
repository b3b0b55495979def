#include "privacy/aes_block.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <utility>

#include "core/bytes.h"

#include "aes_backends.h"

namespace strm {
namespace {

using ::strm::testing::Backend;
using ::strm::testing::BackendName;
using ::strm::testing::Hex;
using ::strm::testing::Seq;

class AesBlockTest : public ::strm::testing::AesBackendTest {};

INSTANTIATE_TEST_SUITE_P(Backends, AesBlockTest,
                         ::testing::Values(Backend::kAesNi, Backend::kFallback), BackendName);

AesBlock Keyed(std::span<const uint8_t> key) {
  AesBlock aes;
  if (!aes.SetKey(key).ok()) std::abort();
  return aes;
}

std::string EncryptHex(const AesBlock& aes, std::string_view plain_hex) {
  Bytes b = Hex(plain_hex);
  aes.EncryptBlock(b.data(), b.data());
  return HexEncode(b);
}

TEST_P(AesBlockTest, UsesTheRequestedBackend) {
  AesBlock aes;
  EXPECT_EQ(aes.uses_aesni(), GetParam() == Backend::kAesNi);
  EXPECT_EQ(aes.key_size(), 0u);
  ASSERT_TRUE(aes.SetKey(Seq(16)).ok());
  EXPECT_EQ(aes.key_size(), 16u);
  // Copies and moves keep the backend, whatever the switch says now.
  ForceAesFallbackForTesting(GetParam() == Backend::kAesNi);
  AesBlock copy = aes;
  AesBlock moved = std::move(aes);
  EXPECT_EQ(copy.uses_aesni(), GetParam() == Backend::kAesNi);
  EXPECT_EQ(moved.uses_aesni(), GetParam() == Backend::kAesNi);
}

// FIPS-197 Appendix C.
TEST_P(AesBlockTest, Fips197AppendixC) {
  const char plain[] = "00112233445566778899aabbccddeeff";
  EXPECT_EQ(EncryptHex(Keyed(Seq(16)), plain), "69c4e0d86a7b0430d8cdb78070b4c55a");
  EXPECT_EQ(EncryptHex(Keyed(Seq(24)), plain), "dda97ca4864cdfe06eaf70a0ec0d7191");
  EXPECT_EQ(EncryptHex(Keyed(Seq(32)), plain), "8ea2b7ca516745bfeafc49904b496089");
}

// NIST SP 800-38A, F.1 (ECB) and F.5 (CTR), encryption.
const char kSp80038aPlain[] =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const char kSp80038aCounter[] = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
struct Sp80038aVector {
  const char* key;
  const char* ecb;
  const char* ctr;
};
const Sp80038aVector kSp80038a[] = {
    {"2b7e151628aed2a6abf7158809cf4f3c",
     "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
     "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
     "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
     "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"},
    {"8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
     "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e",
     "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
     "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050"},
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
     "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7",
     "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
     "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"},
};

TEST_P(AesBlockTest, Sp80038aEcb) {
  for (const Sp80038aVector& v : kSp80038a) {
    AesBlock aes = Keyed(Hex(v.key));
    Bytes b = Hex(kSp80038aPlain);
    aes.EncryptBlocks(b.data(), b.data(), 4);
    EXPECT_EQ(HexEncode(b), v.ecb) << v.key;
    Bytes one = Hex(kSp80038aPlain);
    for (size_t i = 0; i < 4; ++i) aes.EncryptBlock(one.data() + 16 * i, one.data() + 16 * i);
    EXPECT_EQ(HexEncode(one), v.ecb) << v.key;
  }
}

TEST_P(AesBlockTest, Sp80038aCtr) {
  for (const Sp80038aVector& v : kSp80038a) {
    AesBlock aes = Keyed(Hex(v.key));
    const Bytes counter = Hex(kSp80038aCounter);
    const Bytes plain = Hex(kSp80038aPlain);
    Bytes out(plain.size());
    aes.CtrXor(counter.data(), plain.data(), out.data(), plain.size());
    EXPECT_EQ(HexEncode(out), v.ctr) << v.key;
    // Prefixes of every length are prefixes of the keystream (partial last blocks).
    for (size_t n = 0; n <= plain.size(); ++n) {
      Bytes part(plain.begin(), plain.begin() + n);
      aes.CtrXor(counter.data(), part.data(), part.data(), n);  // in place
      EXPECT_EQ(HexEncode(part), std::string(v.ctr, 2 * n)) << v.key << " " << n;
    }
  }
}

// CTR against its definition, over lengths that cover the 8-block pipeline and its tail, and
// counters whose low or both 64-bit halves wrap.
TEST_P(AesBlockTest, CtrMatchesEcbOfCounters) {
  const char* counters[] = {"000102030405060708090a0b0c0d0e0f", "0000000000000000fffffffffffffffa",
                            "fffffffffffffffffffffffffffffffd", "00000000000000007ffffffffffffffe"};
  for (size_t key_size : {16, 24, 32}) {
    AesBlock aes = Keyed(Seq(key_size));
    for (const char* c : counters) {
      for (size_t n : {1, 15, 16, 17, 100, 127, 128, 129, 255, 256, 257, 1000}) {
        Bytes in(n);
        for (size_t i = 0; i < n; ++i) in[i] = static_cast<uint8_t>(i * 31 + 7);
        const size_t blocks = (n + 15) / 16;
        Bytes ks(blocks * 16);
        Bytes ctr = Hex(c);
        for (size_t b = 0; b < blocks; ++b) {
          std::copy(ctr.begin(), ctr.end(), ks.begin() + 16 * b);
          for (int i = 15; i >= 0 && ++ctr[i] == 0; --i) {
          }
        }
        aes.EncryptBlocks(ks.data(), ks.data(), blocks);
        Bytes expected(n);
        for (size_t i = 0; i < n; ++i) expected[i] = in[i] ^ ks[i];
        Bytes out(n);
        aes.CtrXor(Hex(c).data(), in.data(), out.data(), n);
        EXPECT_EQ(out, expected) << key_size << " " << c << " " << n;
      }
    }
  }
}

TEST_P(AesBlockTest, EmptyInputsWriteNothing) {
  AesBlock aes = Keyed(Seq(32));
  uint8_t counter[16] = {};
  uint8_t byte = 0x5a;
  aes.CtrXor(counter, &byte, &byte, 0);
  aes.EncryptBlocks(&byte, &byte, 0);
  EXPECT_EQ(byte, 0x5a);
}

TEST_P(AesBlockTest, ManyBlocksMatchOneByOne) {
  for (size_t key_size : {16, 24, 32}) {
    AesBlock aes = Keyed(Seq(key_size));
    for (size_t blocks = 0; blocks <= 33; ++blocks) {
      Bytes in(blocks * 16);
      for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i ^ blocks);
      Bytes many(in.size()), one(in.size());
      aes.EncryptBlocks(in.data(), many.data(), blocks);
      for (size_t b = 0; b < blocks; ++b) aes.EncryptBlock(in.data() + 16 * b, one.data() + 16 * b);
      EXPECT_EQ(many, one) << key_size << " " << blocks;
    }
  }
}

TEST_P(AesBlockTest, RejectsBadKeySizes) {
  AesBlock aes = Keyed(Seq(16));
  for (size_t n : {0, 8, 15, 17, 23, 25, 31, 33, 64}) {
    Status s = aes.SetKey(Seq(n));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), "AES key must be 16, 24 or 32 bytes, not " + std::to_string(n));
  }
  // The key in place is kept.
  EXPECT_EQ(aes.key_size(), 16u);
  EXPECT_EQ(EncryptHex(aes, "00112233445566778899aabbccddeeff"),
            "69c4e0d86a7b0430d8cdb78070b4c55a");
}

TEST_P(AesBlockTest, SetKeyReplacesTheKeyOfAnySize) {
  const char plain[] = "00112233445566778899aabbccddeeff";
  AesBlock aes;
  for (size_t key_size : {32, 16, 24, 16, 32, 24, 32}) {
    ASSERT_TRUE(aes.SetKey(Seq(key_size)).ok());
    EXPECT_EQ(EncryptHex(aes, plain), EncryptHex(Keyed(Seq(key_size)), plain)) << key_size;
    EXPECT_EQ(aes.key_size(), key_size);
  }
}

TEST_P(AesBlockTest, CopiesAndMovesKeepTheKey) {
  const char plain[] = "00112233445566778899aabbccddeeff";
  AesBlock a = Keyed(Seq(24));
  AesBlock copy(a);
  ASSERT_TRUE(a.SetKey(Seq(32)).ok());  // the copy is independent
  EXPECT_EQ(EncryptHex(copy, plain), "dda97ca4864cdfe06eaf70a0ec0d7191");
  EXPECT_EQ(EncryptHex(a, plain), "8ea2b7ca516745bfeafc49904b496089");

  AesBlock assigned = Keyed(Seq(16));
  assigned = copy;
  EXPECT_EQ(EncryptHex(assigned, plain), "dda97ca4864cdfe06eaf70a0ec0d7191");
  const AesBlock& same = assigned;
  assigned = same;  // self-assignment is harmless
  EXPECT_EQ(EncryptHex(assigned, plain), "dda97ca4864cdfe06eaf70a0ec0d7191");

  AesBlock moved(std::move(a));
  EXPECT_EQ(EncryptHex(moved, plain), "8ea2b7ca516745bfeafc49904b496089");
  AesBlock move_assigned;
  move_assigned = std::move(moved);
  EXPECT_EQ(EncryptHex(move_assigned, plain), "8ea2b7ca516745bfeafc49904b496089");
  // A moved-from object has no key and can be keyed again.
  // NOLINTBEGIN(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_EQ(a.key_size(), 0u);
  EXPECT_EQ(moved.key_size(), 0u);
  ASSERT_TRUE(a.SetKey(Seq(16)).ok());
  EXPECT_EQ(EncryptHex(a, plain), "69c4e0d86a7b0430d8cdb78070b4c55a");
  // NOLINTEND(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
}

// The two backends agree on random keys of every size, for ECB runs and CTR
// of every length up to 300 bytes.
TEST(AesBlockBackends, AesNiAndFallbackAgree) {
  if (!AesNiAvailable()) GTEST_SKIP() << "no AES-NI";
  std::mt19937_64 rng(97);
  auto random_bytes = [&](size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    return b;
  };
  for (size_t key_size : {16, 24, 32}) {
    for (int k = 0; k < 20; ++k) {
      const Bytes key = random_bytes(key_size);
      AesBlock ni = Keyed(key);
      ForceAesFallbackForTesting(true);
      AesBlock fb = Keyed(key);
      ForceAesFallbackForTesting(false);
      ASSERT_TRUE(ni.uses_aesni());
      ASSERT_FALSE(fb.uses_aesni());
      const size_t n = rng() % 301;
      const Bytes in = random_bytes(n);
      Bytes counter = random_bytes(16);
      if (k % 4 == 0) std::fill(counter.begin() + 8, counter.end(), 0xff);  // carries
      Bytes ctr_ni(n), ctr_fb(n);
      ni.CtrXor(counter.data(), in.data(), ctr_ni.data(), n);
      fb.CtrXor(counter.data(), in.data(), ctr_fb.data(), n);
      EXPECT_EQ(ctr_ni, ctr_fb) << key_size << " " << k << " " << n;
      const size_t blocks = n / 16;
      Bytes ecb_ni(blocks * 16), ecb_fb(blocks * 16);
      ni.EncryptBlocks(in.data(), ecb_ni.data(), blocks);
      fb.EncryptBlocks(in.data(), ecb_fb.data(), blocks);
      EXPECT_EQ(ecb_ni, ecb_fb) << key_size << " " << k << " " << n;
    }
  }
}

}  // namespace
}  // namespace strm
