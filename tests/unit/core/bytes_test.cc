#include "core/bytes.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace strm {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(AsBytes("")), "");
  EXPECT_EQ(Base64Encode(AsBytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(AsBytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(AsBytes("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(AsBytes("foob")), "Zm9vYg==");
  EXPECT_EQ(Base64Encode(AsBytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode(AsBytes("foobar")), "Zm9vYmFy");
}

TEST(Base64, DecodesWhatItEncodes) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::span<const uint8_t> part(all.data(), n);
    auto decoded = Base64Decode(Base64Encode(part));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, Bytes(part.begin(), part.end()));
  }
}

// The SIMD path (where the CPU has AVX-512 VBMI) writes exactly what the portable one does,
// at every length and alignment, and nothing past Base64Size.
TEST(Base64, SimdAndPortableEncodersAgree) {
  std::mt19937 rng(11);
  Bytes data(400);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t offset : {0, 1, 5}) {
    for (size_t n = 0; n + offset <= 300; ++n) {
      std::span<const uint8_t> in(data.data() + offset, n);
      std::string fast(Base64Size(n) + 8, '#'), portable = fast;
      char* fast_end = WriteBase64(in, fast.data());
      ForceScalarBase64ForTesting(true);
      char* portable_end = WriteBase64(in, portable.data());
      ForceScalarBase64ForTesting(false);
      EXPECT_EQ(fast_end - fast.data(), static_cast<ptrdiff_t>(Base64Size(n)));
      EXPECT_EQ(portable_end - portable.data(), static_cast<ptrdiff_t>(Base64Size(n)));
      EXPECT_EQ(fast, portable) << "length " << n;
      EXPECT_EQ(fast.substr(Base64Size(n)), std::string(8, '#'));
    }
  }
  EXPECT_EQ(Base64Encode(AsBytes("Many hands make light work. Many hands make light work!!")),
            "TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsuIE1hbnkgaGFuZHMgbWFrZSBsaWdodCB3b3JrISE=");
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_EQ(Base64Decode("Zm9").status().message(),
            "invalid base64: length is not a multiple of 4");
  EXPECT_EQ(Base64Decode("Zm9*").status().message(), "invalid base64: unexpected character");
  EXPECT_EQ(Base64Decode("Zg==Zm9v").status().message(), "invalid base64: unexpected character");
  EXPECT_EQ(Base64Decode("Z===").status().code(), StatusCode::kInvalidArgument);
}

// Every length to 24 (the inline paths and memcmp's), equal or with one byte changed at
// each position.
TEST(SameBytes, IsMemcmpEqualsZero) {
  std::string a(24, '\0');
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>('a' + i);
  for (size_t n = 0; n <= a.size(); ++n) {
    std::string b = a;
    EXPECT_TRUE(SameBytes(a.data(), b.data(), n)) << n;
    for (size_t at = 0; at < n; ++at) {
      b = a;
      b[at] ^= 0x20;
      EXPECT_FALSE(SameBytes(a.data(), b.data(), n)) << n << " " << at;
    }
    if (n < a.size()) {  // a difference past n does not count
      b = a;
      b[n] ^= 0x20;
      EXPECT_TRUE(SameBytes(a.data(), b.data(), n)) << n;
    }
  }
}

TEST(Hex, RoundTrips) {
  Bytes b{0x00, 0x2a, 0x9c, 0xff};
  EXPECT_EQ(HexEncode(b), "002a9cff");
  EXPECT_EQ(*HexDecode("002A9cff"), b);
  EXPECT_FALSE(HexDecode("0g").ok());
  EXPECT_FALSE(HexDecode("abc").ok());
}

TEST(Uuid, IsVersion4AndRandom) {
  std::string a = NewUuidV4(), b = NewUuidV4();
  EXPECT_TRUE(IsUuid(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  EXPECT_FALSE(IsUuid("not-a-uuid"));
}

TEST(Uuid, FromRandomBytesSetsVersionAndVariant) {
  uint8_t random[16];
  for (int i = 0; i < 16; ++i) random[i] = static_cast<uint8_t>(0xf0 + i);
  EXPECT_EQ(UuidV4FromRandom(random), "f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff");
  uint8_t zeros[16] = {};
  EXPECT_EQ(UuidV4FromRandom(zeros), "00000000-0000-4000-8000-000000000000");
  EXPECT_TRUE(IsUuid(UuidV4FromRandom(random)));
}

TEST(Base64, WriteBase64WritesWhatAppendBase64Appends) {
  for (std::string_view in : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string appended;
    AppendBase64(AsBytes(in), appended);
    std::string raw(Base64Size(in.size()), '?');
    char* end = WriteBase64(AsBytes(in), raw.data());
    EXPECT_EQ(end - raw.data(), static_cast<long>(raw.size())) << in;
    EXPECT_EQ(raw, appended) << in;
  }
  std::string raw(Base64Size(6), '?');
  WriteBase64(AsBytes("foobar"), raw.data());
  EXPECT_EQ(raw, "Zm9vYmFy");  // RFC 4648 §10
}

}  // namespace
}  // namespace strm

namespace strm {
namespace {

TEST(Hex, WriteHex32MatchesHexEncode) {
  uint8_t in[16];
  for (int round = 0; round < 64; ++round) {
    for (int i = 0; i < 16; ++i) in[i] = static_cast<uint8_t>(round * 37 + i * 11 + (i * round));
    char out[33];
    out[32] = '#';
    WriteHex32(in, out);
    EXPECT_EQ(std::string(out, 32), HexEncode(in));
    EXPECT_EQ(out[32], '#') << "nothing past the 32 digits";
  }
}

TEST(Hex, LowerHexValueAcceptsOnlyLowercaseDigits) {
  const std::string digits = "0123456789abcdef";
  for (int c = 0; c < 256; ++c) {
    const size_t at = digits.find(static_cast<char>(c));
    EXPECT_EQ(LowerHexValue(static_cast<char>(c)),
              at == std::string::npos ? -1 : static_cast<int>(at))
        << c;
  }
}

}  // namespace
}  // namespace strm
