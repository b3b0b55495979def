#include "core/base64url.h"

#include <gtest/gtest.h>

#include <string>

namespace strm {
namespace {

Bytes MustDecode(std::string_view b64url) {
  auto b = Base64UrlDecode(b64url);
  EXPECT_TRUE(b.ok()) << b.status().message();
  return b.ok() ? *b : Bytes{};
}

std::string Text(const Bytes& b) { return std::string(AsChars(b)); }

TEST(Base64Url, UnpaddedUrlSafeAlphabet) {
  const Bytes b = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(b), "-_-_");
  EXPECT_EQ(Base64UrlEncode(AsBytes("a")), "YQ");
  EXPECT_EQ(Base64UrlEncode(AsBytes("ab")), "YWI");
  EXPECT_EQ(Base64UrlEncode({}), "");
  EXPECT_EQ(MustDecode("-_-_"), b);
  EXPECT_EQ(Text(MustDecode("YQ")), "a");
  EXPECT_EQ(Text(MustDecode("YWI")), "ab");
  EXPECT_FALSE(Base64UrlDecode("YQ==").ok()) << "padding is not base64url";
  EXPECT_FALSE(Base64UrlDecode("+/+/").ok()) << "the standard alphabet is not base64url";
  EXPECT_FALSE(Base64UrlDecode("YWJjZ").ok()) << "a length of 4n+1 is impossible";
  EXPECT_FALSE(Base64UrlDecode("YW I").ok());
}

TEST(Base64Url, ThirtyTwoBytesAre43Characters) {
  Bytes all(32);
  for (int i = 0; i < 32; ++i) all[i] = static_cast<uint8_t>(i * 8 + 3);
  const std::string text = Base64UrlEncode(all);
  EXPECT_EQ(text.size(), 43u);
  for (char c : text) EXPECT_TRUE(IsBase64UrlChar(c)) << c;
  EXPECT_EQ(MustDecode(text), all);
}

}  // namespace
}  // namespace strm
