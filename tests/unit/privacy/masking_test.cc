#include "privacy/masking.h"

#include <gtest/gtest.h>

#include <charconv>

#include <string>

#include "core/bytes.h"

namespace strm {
namespace {

// Guava's Murmur3Hash128Test vectors (tails of 4..9 bytes, several seeds, > 2 blocks).
TEST(Murmur3, MatchesPublishedVectors) {
  struct V {
    uint32_t seed;
    uint64_t h1, h2;
    std::string_view in;
  };
  const V vectors[] = {
      {0, 0x629942693e10f867, 0x92db0b82baeb5347, "hell"},
      {1, 0xa78ddff5adae8d10, 0x128900ef20900135, "hello"},
      {2, 0x8a486b23f422e826, 0xf962a2c58947765f, "hello "},
      {3, 0x2ea59f466f6bed8c, 0xc610990acc428a17, "hello w"},
      {4, 0x79f6305a386c572c, 0x46305aed3483b94e, "hello wo"},
      {5, 0xc2219d213ec1f1b5, 0xa1d8e2e0a52785bd, "hello wor"},
      {0, 0xe34bbc7bbc071b6c, 0x7a433ca9c49a9347, "The quick brown fox jumps over the lazy dog"},
      {0, 0x658ca970ff85269a, 0x43fee3eaa68e5c3e, "The quick brown fox jumps over the lazy cog"},
  };
  for (const V& v : vectors) {
    Hash128 h = Murmur3X64_128(AsBytes(v.in), v.seed);
    EXPECT_EQ(h.h1, v.h1) << v.in;
    EXPECT_EQ(h.h2, v.h2) << v.in;
  }
  Hash128 empty = Murmur3X64_128({});
  EXPECT_EQ(empty.h1, 0u);
  EXPECT_EQ(empty.h2, 0u);
}

TEST(Murmur3, HexDropsLeadingZerosPerHalf) {
  EXPECT_EQ(StrmMurmurHex({0x0123, 0x00ab}), "123ab");
  EXPECT_EQ(StrmMurmurHex({0, 0}), "00");
  EXPECT_EQ(StrmMurmurHex({0xffffffffffffffff, 1}), "ffffffffffffffff1");
}

// Against std::to_chars, for halves of every length of hex digits.
TEST(Murmur3, HexMatchesToCharsAtEveryLength) {
  auto reference = [](Hash128 h) {
    char buf[32];
    char* p = std::to_chars(buf, buf + 16, h.h1, 16).ptr;
    p = std::to_chars(p, p + 16, h.h2, 16).ptr;
    return std::string(buf, p);
  };
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int shift1 = 0; shift1 < 64; ++shift1) {
    for (int shift2 = 0; shift2 < 64; shift2 += 7) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const Hash128 h{x >> shift1, (x * 31) >> shift2};
      EXPECT_EQ(StrmMurmurHex(h), reference(h)) << shift1 << " " << shift2;
    }
  }
}

// VECTORS.md §3 and the demo outputs (murmur over UTF-8 of seed + value).
TEST(Masker, MurmurVectors) {
  struct V {
    std::string_view seed, value, mask;
  };
  const V vectors[] = {
      {"hi-there", "unique-5", "1083e8169d7138e990cc30095578452"},
      {"hi-there", "session-273", "7cc66d130664caa9efacda1026c1c44"},
      {"hi-there", "sensitive-0", "e49bd309eed4a5094437a71ac2bc1cad"},
      {"hi-there", "not-sensitive-6", "538ad30b2aa2781e855c4eb059cf68a3"},
      {"", "strm_demo_user", "788d082a29fd07f61e1df95bbe98ef9f"},
      {"s3cr3t", "Zoë@example.com", "1d3dc00264acbd9b1afd466b40f5ad64"},
      {"hi-there", "strm_demo_user", "e07e42089c9396d6bda4cd480b2a80bd"},
      {"hi-there", "ibthtfnf@mbeito.com", "839d8205da411ca5d07d43cce1fb2533"},
  };
  for (const V& v : vectors) {
    Masker m(HashType::kMurmur3_128, std::string(v.seed));
    EXPECT_EQ(m.Mask(v.value), v.mask) << v.seed << v.value;
    std::string joined = std::string(v.seed) + std::string(v.value);
    EXPECT_EQ(StrmMurmurHex(Murmur3X64_128(AsBytes(joined))), v.mask);
  }
  EXPECT_EQ(Masker(HashType::kMurmur3_128, "hi-there").Mask("unique-5").size(), 31u);
}

TEST(Masker, LongValuesHashTheConcatenation) {
  const std::string seed(100, 's');
  Masker m(HashType::kMurmur3_128, seed);
  for (size_t n : {0, 156, 157, 1000}) {
    std::string value(n, 'v');
    EXPECT_EQ(m.Mask(value), StrmMurmurHex(Murmur3X64_128(AsBytes(seed + value)))) << n;
  }
}

TEST(Masker, MaskToAppends) {
  Masker m(HashType::kMurmur3_128, "hi-there");
  std::string out = "x,";
  m.MaskTo("unique-5", out);
  m.MaskTo("sensitive-0", out);
  EXPECT_EQ(out, "x,1083e8169d7138e990cc30095578452e49bd309eed4a5094437a71ac2bc1cad");
}

// WriteMask writes the mask at a cursor and nothing past its end, for both hash types.
TEST(Masker, WriteMaskWritesTheMaskAtTheCursor) {
  for (HashType type : {HashType::kMurmur3_128, HashType::kHmacSha256}) {
    Masker m(type, "hi-there");
    std::string buf(Masker::kMaxMaskSize + 8, '#');
    char* end = m.WriteMask("unique-5", buf.data() + 4);
    const std::string mask = m.Mask("unique-5");
    EXPECT_EQ(std::string(buf.data() + 4, end), mask);
    EXPECT_EQ(buf.substr(0, 4), "####");
    EXPECT_EQ(buf.substr(4 + mask.size()), std::string(buf.size() - 4 - mask.size(), '#'));
  }
  EXPECT_EQ(Masker(HashType::kMurmur3_128, "hi-there").Mask("unique-5"),
            "1083e8169d7138e990cc30095578452");
}

TEST(Hmac, Sha256Vectors) {
  EXPECT_EQ(HmacSha256Hex("s3cr3t", "Zoë@example.com"),
            "e5c5cb78498035fd72ffad2ae82716aa86ae7bd0b1b5a27f1d11ae43782e337d");
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // An empty key (Python's hmac module).
  EXPECT_EQ(HmacSha256Hex("", "abc"),
            "fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351");
}

TEST(Masker, HmacVectors) {
  Masker m(HashType::kHmacSha256, "s3cr3t");
  EXPECT_EQ(m.Mask("Zoë@example.com"),
            "e5c5cb78498035fd72ffad2ae82716aa86ae7bd0b1b5a27f1d11ae43782e337d");
  // The cached context is reused: a second call must not see the first message.
  EXPECT_EQ(m.Mask("Zoë@example.com"),
            "e5c5cb78498035fd72ffad2ae82716aa86ae7bd0b1b5a27f1d11ae43782e337d");
  EXPECT_EQ(Masker(HashType::kHmacSha256, "").Mask("abc"),
            "fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351");
}

TEST(Masker, CopiesAreIndependent) {
  auto hmac = std::make_unique<Masker>(HashType::kHmacSha256, "s3cr3t");
  Masker copy(*hmac);
  Masker assigned(HashType::kMurmur3_128, "hi-there");
  assigned = *hmac;
  hmac.reset();  // the copies own their contexts
  const char kExpected[] = "e5c5cb78498035fd72ffad2ae82716aa86ae7bd0b1b5a27f1d11ae43782e337d";
  EXPECT_EQ(copy.Mask("Zoë@example.com"), kExpected);
  EXPECT_EQ(assigned.Mask("Zoë@example.com"), kExpected);

  Masker murmur(HashType::kMurmur3_128, "hi-there");
  copy = murmur;
  EXPECT_EQ(copy.Mask("unique-5"), "1083e8169d7138e990cc30095578452");
  EXPECT_EQ(assigned.Mask("Zoë@example.com"), kExpected);
  const Masker& self = assigned;
  assigned = self;
  EXPECT_EQ(assigned.Mask("Zoë@example.com"), kExpected);
}

TEST(HashType, ParsesNamesAndNumbers) {
  for (std::string_view s : {"", "HASH_TYPE_UNSPECIFIED", "0", "MURMUR3_128", "1"}) {
    auto t = ParseHashType(s);
    ASSERT_TRUE(t.ok()) << s;
    EXPECT_EQ(*t, HashType::kMurmur3_128) << s;
  }
  for (std::string_view s : {"HMAC_SHA256", "2"}) {
    auto t = ParseHashType(s);
    ASSERT_TRUE(t.ok()) << s;
    EXPECT_EQ(*t, HashType::kHmacSha256) << s;
  }
  EXPECT_EQ(HashTypeName(HashType::kMurmur3_128), "MURMUR3_128");
  EXPECT_EQ(HashTypeName(HashType::kHmacSha256), "HMAC_SHA256");
}

TEST(HashType, RejectsUnknownNames) {
  for (std::string_view s : {"3", "SHA256", "murmur3_128", " MURMUR3_128"}) {
    auto t = ParseHashType(s);
    ASSERT_FALSE(t.ok()) << s;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(t.status().message(),
              "unknown hash type \"" + std::string(s) + "\" (expected MURMUR3_128 or HMAC_SHA256)");
  }
}

}  // namespace
}  // namespace strm
