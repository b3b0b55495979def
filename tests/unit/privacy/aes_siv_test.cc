#include "privacy/aes_siv.h"

#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <string>

#include "privacy/aes_block.h"

#include "aes_backends.h"

namespace strm {
namespace {

using ::strm::testing::Backend;
using ::strm::testing::BackendName;
using ::strm::testing::Hex;
using ::strm::testing::Seq;

class AesSivTest : public ::strm::testing::AesBackendTest {};

INSTANTIATE_TEST_SUITE_P(Backends, AesSivTest,
                         ::testing::Values(Backend::kAesNi, Backend::kFallback), BackendName);

AesSiv Make(std::span<const uint8_t> key) {
  auto siv = AesSiv::Create(key);
  if (!siv.ok()) std::abort();
  return std::move(siv).value();
}

std::string EncryptHex(const AesSiv& siv, const AesSiv::Ad& ad, std::span<const uint8_t> pt) {
  Bytes out;
  siv.Encrypt(ad, pt, out);
  return HexEncode(out);
}

// OpenSSL's own SIV cipher, as an independent reference for non-empty plaintexts.
Bytes OpenSslSiv(std::span<const uint8_t> key, const AesSiv::Ad& ad, std::span<const uint8_t> pt) {
  const char* name = key.size() == 32   ? "AES-128-SIV"
                     : key.size() == 48 ? "AES-192-SIV"
                                        : "AES-256-SIV";
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes out(16 + pt.size());
  int len = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, cipher, nullptr, key.data(), nullptr), 1);
  for (auto a : ad) {
    EXPECT_EQ(EVP_EncryptUpdate(ctx, nullptr, &len, a.data(), static_cast<int>(a.size())), 1);
  }
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data() + 16, &len, pt.data(), static_cast<int>(pt.size())),
            1);
  EXPECT_EQ(EVP_EncryptFinal_ex(ctx, out.data() + 16 + len, &len), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out.data()), 1);
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  return out;
}

const Bytes kA1Key = Hex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const Bytes kA1Ad = Hex("101112131415161718191a1b1c1d1e1f2021222324252627");
const Bytes kA1Plain = Hex("112233445566778899aabbccddee");
const char kA1Out[] = "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c";

const Bytes kA2Key = Hex("7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f");
const Bytes kA2Ad1 =
    Hex("00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100");
const Bytes kA2Ad2 = Hex("102030405060708090a0");
const Bytes kA2Nonce = Hex("09f911029d74e35bd84156c5635688c0");
const Bytes kA2Plain =
    Hex("7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e6720534956"
        "2d414553");
const char kA2Out[] =
    "7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748"
    "ba8af829ea64ad544a272e9c485b62a3fd5c0d";

TEST_P(AesSivTest, Rfc5297A1DeterministicVector) {
  AesSiv siv = Make(kA1Key);
  EXPECT_EQ(EncryptHex(siv, {kA1Ad}, kA1Plain), kA1Out);
  auto plain = siv.Decrypt({kA1Ad}, Hex(kA1Out));
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(*plain, kA1Plain);
}

TEST_P(AesSivTest, Rfc5297A2NonceBasedVector) {
  AesSiv siv = Make(kA2Key);
  AesSiv::Ad ad = {kA2Ad1, kA2Ad2, kA2Nonce};
  EXPECT_EQ(EncryptHex(siv, ad, kA2Plain), kA2Out);
  auto plain = siv.Decrypt(ad, Hex(kA2Out));
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(*plain, kA2Plain);
}

TEST_P(AesSivTest, Aes256SivVector) {
  EXPECT_EQ(EncryptHex(Make(Seq(64)), {AsBytes("ad")}, AsBytes("hello")),
            "f95d56d29ffa3f3b3429243fee52dbaf73a5d5b576");
}

// From Python `cryptography`'s AESSIV.
TEST_P(AesSivTest, Aes192SivVector) {
  EXPECT_EQ(EncryptHex(Make(Seq(48)), {AsBytes("ad")}, AsBytes("hello")),
            "7d934d8f41dc9c773256edfcb3d9eb5ec1ce915fb9");
}

// From a separate S2V written over Python `cryptography`'s CMAC and AES-CTR.
TEST_P(AesSivTest, ZeroAdComponentsVector) {
  EXPECT_EQ(EncryptHex(Make(Seq(64)), {}, AsBytes("hello")),
            "813b11851c893c3fc837181e3b4412c45874738a6d");
}

TEST_P(AesSivTest, EmptyPlaintextVectors) {
  const std::span<const uint8_t> empty;
  EXPECT_EQ(EncryptHex(Make(Seq(64)), {empty}, empty), "6ff5b8ef53fc365606cd3ea047374885");
  EXPECT_EQ(EncryptHex(Make(Seq(32)), {empty}, empty), "646a1c3efeb7d2589bfdd0892cc86923");
  EXPECT_EQ(EncryptHex(Make(Seq(64)), {}, empty), "d4fc53b9c44c2aeea87bfb8c983b136c");
}

TEST_P(AesSivTest, EmptyPlaintextRoundTrips) {
  AesSiv siv = Make(Seq(64));
  siv.PrecomputeAd({std::span<const uint8_t>()});
  uint8_t out[16];
  siv.Encrypt(std::span<const uint8_t>(), out);
  EXPECT_EQ(HexEncode(out), "6ff5b8ef53fc365606cd3ea047374885");
  auto plain = siv.Decrypt(out);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_TRUE(plain->empty());
}

TEST_P(AesSivTest, MatchesOpenSslSivCipher) {
  for (size_t key_size : {32, 48, 64}) {
    Bytes key = Seq(key_size);
    key[0] = 0xa5;
    AesSiv siv = Make(key);
    for (size_t n : {1, 15, 16, 17, 31, 32, 33, 47, 48, 100, 511, 512, 513, 527, 528, 1500}) {
      Bytes pt(n);
      for (size_t i = 0; i < n; ++i) pt[i] = static_cast<uint8_t>(i * 7 + n);
      Bytes ad1 = Seq(n % 40 + 1), ad2 = Seq(3), ad3 = Seq(512), ad4 = Seq(1300);
      for (const AesSiv::Ad& ad :
           {AesSiv::Ad{}, AesSiv::Ad{ad1}, AesSiv::Ad{ad1, ad2, ad1}, AesSiv::Ad{ad3, ad4}}) {
        Bytes out;
        siv.Encrypt(ad, pt, out);
        EXPECT_EQ(out, OpenSslSiv(key, ad, pt)) << key_size << " " << n << " " << ad.size();
      }
    }
  }
}

TEST_P(AesSivTest, AllLengthsRoundTrip) {
  for (size_t key_size : {32, 48, 64}) {
    AesSiv siv = Make(Seq(key_size));
    const Bytes ad = {'a', 'd'};
    siv.PrecomputeAd({ad});
    for (size_t n = 0; n <= 100; ++n) {
      Bytes pt(n, static_cast<uint8_t>(n));
      Bytes out(16 + n);
      siv.Encrypt(pt, out.data());
      Bytes with_ad;
      siv.Encrypt({ad}, pt, with_ad);
      EXPECT_EQ(out, with_ad) << n;
      auto plain = siv.Decrypt(out);
      ASSERT_TRUE(plain.ok()) << n << ": " << plain.status().message();
      EXPECT_EQ(*plain, pt);
      auto plain2 = siv.Decrypt({ad}, out);
      ASSERT_TRUE(plain2.ok());
      EXPECT_EQ(*plain2, pt);
    }
  }
}

TEST_P(AesSivTest, EncryptAppends) {
  AesSiv siv = Make(kA1Key);
  Bytes out = {0xaa, 0xbb};
  siv.Encrypt({kA1Ad}, kA1Plain, out);
  EXPECT_EQ(HexEncode(out), std::string("aabb") + kA1Out);
}

TEST_P(AesSivTest, DetectsTampering) {
  AesSiv siv = Make(kA1Key);
  Bytes ct = Hex(kA1Out);
  for (size_t i = 0; i < ct.size(); ++i) {
    for (uint8_t bit : {0x01, 0x80}) {
      Bytes bad = ct;
      bad[i] ^= bit;
      auto r = siv.Decrypt({kA1Ad}, bad);
      ASSERT_FALSE(r.ok()) << i;
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(r.status().message(), "AES-SIV authentication failed");
    }
  }
  EXPECT_EQ(siv.Decrypt({AsBytes("other")}, ct).status().message(),
            "AES-SIV authentication failed");
  EXPECT_EQ(siv.Decrypt({}, ct).status().message(), "AES-SIV authentication failed");
  Bytes truncated(ct.begin(), ct.end() - 1);
  EXPECT_EQ(siv.Decrypt({kA1Ad}, truncated).status().message(), "AES-SIV authentication failed");
}

TEST_P(AesSivTest, RejectsShortCiphertext) {
  AesSiv siv = Make(kA1Key);
  Bytes ct(15);
  auto r = siv.Decrypt(ct);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "AES-SIV ciphertext is 15 bytes, shorter than the 16-byte SIV");
  EXPECT_EQ(siv.Decrypt({}, {}).status().message(),
            "AES-SIV ciphertext is 0 bytes, shorter than the 16-byte SIV");
}

TEST_P(AesSivTest, RejectsBadKeySizes) {
  for (size_t n : {0, 16, 24, 31, 33, 65}) {
    auto r = AesSiv::Create(Seq(n));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(),
              "AES-SIV key must be 32, 48 or 64 bytes, not " + std::to_string(n));
  }
}

TEST_P(AesSivTest, PrecomputedEmptyAdEqualsExplicitEmptyAd) {
  AesSiv siv = Make(Seq(64));
  const std::span<const uint8_t> empty;
  siv.PrecomputeAd({empty});
  for (std::string_view pt : {"", "17850", "a 20-byte value here", "Zoë@example.com"}) {
    Bytes pre(16 + pt.size());
    siv.Encrypt(AsBytes(pt), pre.data());
    Bytes explicit_ad;
    siv.Encrypt({empty}, AsBytes(pt), explicit_ad);
    EXPECT_EQ(pre, explicit_ad) << pt;
    Bytes no_ad;
    siv.Encrypt({}, AsBytes(pt), no_ad);
    EXPECT_NE(pre, no_ad) << pt;  // one empty component is not zero components
  }
}

TEST_P(AesSivTest, WithoutPrecomputeAdUsesNoComponents) {
  AesSiv siv = Make(Seq(64));
  uint8_t out[21];
  siv.Encrypt(AsBytes("hello"), out);
  EXPECT_EQ(HexEncode(out), "813b11851c893c3fc837181e3b4412c45874738a6d");
}

TEST_P(AesSivTest, ClonesAreIndependent) {
  AesSiv a = Make(Seq(64));
  a.PrecomputeAd({AsBytes("ad")});
  AesSiv b = a.Clone();
  uint8_t out_a[21], out_b[21];
  b.Encrypt(AsBytes("hello"), out_b);
  EXPECT_EQ(HexEncode(out_b), "f95d56d29ffa3f3b3429243fee52dbaf73a5d5b576");

  b.PrecomputeAd({});  // changes the clone only
  a.Encrypt(AsBytes("hello"), out_a);
  b.Encrypt(AsBytes("hello"), out_b);
  EXPECT_EQ(HexEncode(out_a), "f95d56d29ffa3f3b3429243fee52dbaf73a5d5b576");
  EXPECT_EQ(HexEncode(out_b), "813b11851c893c3fc837181e3b4412c45874738a6d");

  // Interleaved use and destroying the original leave the clone working.
  AesSiv c = a.Clone();
  { AesSiv gone = std::move(a); }
  c.Encrypt(AsBytes("hello"), out_a);
  EXPECT_EQ(HexEncode(out_a), "f95d56d29ffa3f3b3429243fee52dbaf73a5d5b576");
  auto plain = c.Decrypt(out_a);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(AsChars(*plain), "hello");
}

TEST_P(AesSivTest, MoveAssignmentKeepsTheKey) {
  AesSiv a = Make(kA1Key);
  AesSiv b = Make(Seq(64));
  b = std::move(a);
  EXPECT_EQ(EncryptHex(b, {kA1Ad}, kA1Plain), kA1Out);
}

}  // namespace
}  // namespace strm

namespace strm {
namespace {

using AesSivRekeyTest = AesSivTest;
INSTANTIATE_TEST_SUITE_P(Backends, AesSivRekeyTest,
                         ::testing::Values(Backend::kAesNi, Backend::kFallback), BackendName);

TEST_P(AesSivRekeyTest, GivesTheSameResultsAsAFreshCipher) {
  Bytes k1(64), k2(64);
  for (int i = 0; i < 64; ++i) {
    k1[i] = static_cast<uint8_t>(i);
    k2[i] = static_cast<uint8_t>(200 - i);
  }
  const Bytes empty;
  AesSiv::Ad ad{empty};
  AesSiv reused = std::move(AesSiv::Create(k1)).value();
  reused.PrecomputeAd(ad);
  AesSiv fresh = std::move(AesSiv::Create(k2)).value();
  fresh.PrecomputeAd(ad);
  ASSERT_TRUE(reused.Rekey(k2).ok());
  for (size_t n : {0, 5, 16, 17, 40}) {
    Bytes p(n, 'x');
    uint8_t a[16 + 40], b[16 + 40];
    reused.Encrypt(p, a);
    fresh.Encrypt(p, b);
    EXPECT_EQ(Bytes(a, a + 16 + n), Bytes(b, b + 16 + n)) << "length " << n;
  }
  // And back: the first key's ciphertexts come back too.
  AesSiv first = std::move(AesSiv::Create(k1)).value();
  first.PrecomputeAd(ad);
  ASSERT_TRUE(reused.Rekey(k1).ok());
  Bytes p(20, 'y');
  uint8_t a[36], b[36];
  reused.Encrypt(p, a);
  first.Encrypt(p, b);
  EXPECT_EQ(Bytes(a, a + 36), Bytes(b, b + 36));
}

TEST_P(AesSivRekeyTest, RefusesAnotherKeySize) {
  AesSiv siv = std::move(AesSiv::Create(Bytes(64, 1))).value();
  EXPECT_EQ(siv.Rekey(Bytes(32, 1)).message(),
            "AES-SIV key must be 64 bytes to replace the current key, not 32");
}

// The AES-NI backend and the OpenSSL fallback agree on random keys of every size, random
// associated data and every plaintext length up to 300 bytes; each decrypts the other's
// output; a rekeyed cipher matches a fresh one.
TEST(AesSivBackends, AesNiAndFallbackAgree) {
  if (!AesNiAvailable()) GTEST_SKIP() << "no AES-NI";
  std::mt19937_64 rng(20240611);
  auto random_bytes = [&](size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    return b;
  };
  auto make = [](std::span<const uint8_t> key, bool fallback) {
    ForceAesFallbackForTesting(fallback);
    AesSiv siv = Make(key);
    ForceAesFallbackForTesting(false);
    return siv;
  };
  for (size_t key_size : {32, 48, 64}) {
    AesSiv reused_ni = make(random_bytes(key_size), false);
    AesSiv reused_fb = make(random_bytes(key_size), true);
    for (int k = 0; k < 6; ++k) {
      const Bytes key = random_bytes(key_size);
      AesSiv ni = make(key, false);
      AesSiv fb = make(key, true);
      // Fixed associated data for the precomputed overloads: 0..3 components of 0..70 bytes.
      std::vector<Bytes> fixed(rng() % 4);
      for (Bytes& a : fixed) a = random_bytes(rng() % 71);
      const AesSiv::Ad fixed_ad(fixed.begin(), fixed.end());
      for (AesSiv* siv : {&ni, &fb, &reused_ni, &reused_fb}) siv->PrecomputeAd(fixed_ad);
      ASSERT_TRUE(reused_ni.Rekey(key).ok());
      ASSERT_TRUE(reused_fb.Rekey(key).ok());
      for (size_t n = 0; n <= 300; ++n) {
        const Bytes pt = random_bytes(n);
        std::vector<Bytes> comps(rng() % 4);
        for (Bytes& a : comps) a = random_bytes(rng() % 50);
        const AesSiv::Ad ad(comps.begin(), comps.end());
        const std::string where = std::to_string(key_size) + "/" + std::to_string(k) + "/" +
                                  std::to_string(n) + "/" + std::to_string(ad.size());

        Bytes out_ni, out_fb;
        ni.Encrypt(ad, pt, out_ni);
        fb.Encrypt(ad, pt, out_fb);
        ASSERT_EQ(out_ni, out_fb) << where;
        auto from_fb = ni.Decrypt(ad, out_fb);
        auto from_ni = fb.Decrypt(ad, out_ni);
        ASSERT_TRUE(from_fb.ok() && from_ni.ok()) << where;
        EXPECT_EQ(*from_fb, pt) << where;
        EXPECT_EQ(*from_ni, pt) << where;

        Bytes fixed_ni(16 + n), fixed_fb(16 + n), fixed_rn(16 + n), fixed_rf(16 + n);
        ni.Encrypt(pt, fixed_ni.data());
        fb.Encrypt(pt, fixed_fb.data());
        reused_ni.Encrypt(pt, fixed_rn.data());
        reused_fb.Encrypt(pt, fixed_rf.data());
        Bytes explicit_ad;
        fb.Encrypt(fixed_ad, pt, explicit_ad);
        ASSERT_EQ(fixed_ni, explicit_ad) << where;
        ASSERT_EQ(fixed_fb, explicit_ad) << where;
        ASSERT_EQ(fixed_rn, explicit_ad) << where;
        ASSERT_EQ(fixed_rf, explicit_ad) << where;
        auto back_ni = reused_ni.Decrypt(fixed_fb);
        auto back_fb = reused_fb.Decrypt(fixed_ni);
        ASSERT_TRUE(back_ni.ok() && back_fb.ok()) << where;
        EXPECT_EQ(*back_ni, pt) << where;
        EXPECT_EQ(*back_fb, pt) << where;
        if (n > 0) {  // and both refuse the same forgery
          fixed_fb[16 + rng() % n] ^= 1;
          EXPECT_FALSE(reused_ni.Decrypt(fixed_fb).ok()) << where;
          EXPECT_FALSE(fb.Decrypt(fixed_fb).ok()) << where;
        }
      }
    }
  }
}

TEST_P(AesSivTest, EncryptManyEqualsEncryptOneByOne) {
  std::mt19937 rng(20261201);
  for (size_t key_size : {32u, 48u, 64u}) {
    Bytes key(key_size);
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    auto siv = AesSiv::Create(key);
    ASSERT_TRUE(siv.ok());
    siv->PrecomputeAd({std::span<const uint8_t>()});
    // Batches of 0..20 plaintexts of random lengths 0..300: beyond one batch of lanes, and
    // longer than a lane takes, so that every path is crossed.
    for (int round = 0; round < 60; ++round) {
      const size_t n = rng() % 21;
      std::vector<Bytes> plain(n);
      for (auto& p : plain) {
        p.resize(round % 3 == 0 ? rng() % 301 : rng() % 48);
        for (auto& b : p) b = static_cast<uint8_t>(rng());
      }
      std::vector<std::span<const uint8_t>> spans(plain.begin(), plain.end());
      std::vector<Bytes> many(n), single(n);
      std::vector<uint8_t*> outs(n);
      for (size_t i = 0; i < n; ++i) {
        many[i].resize(16 + plain[i].size());
        single[i].resize(16 + plain[i].size());
        outs[i] = many[i].data();
        siv->Encrypt(plain[i], single[i].data());
      }
      siv->EncryptMany(spans, outs.data());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(HexEncode(many[i]), HexEncode(single[i]))
            << "key " << key_size << ", plaintext " << i << " of " << n << ", length "
            << plain[i].size();
        auto back = siv->Decrypt(many[i]);
        ASSERT_TRUE(back.ok());
        EXPECT_EQ(*back, plain[i]);
      }
    }
  }
}

}  // namespace
}  // namespace strm
