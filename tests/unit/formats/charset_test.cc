#include "formats/charset.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace strm {
namespace {

struct Converted {
  std::string data;  // everything read before the end or the error
  Status status;
};

// Converts `input` from `charset`, the source handing out `chunk` bytes per read and the
// converter being read `read_size` bytes at a time.
Converted Convert(std::string input, std::string_view charset, size_t chunk = SIZE_MAX,
                  size_t read_size = 4096) {
  auto conv =
      NewUtf8Converter(std::make_unique<StringInputStream>(std::move(input), chunk), charset);
  if (!conv.ok()) return {"", conv.status()};
  Converted out;
  std::string buf(read_size, '\0');
  for (;;) {
    Result<size_t> n = (*conv)->Read(buf.data(), buf.size());
    if (!n.ok()) {
      out.status = n.status();
      return out;
    }
    if (*n == 0) return out;
    out.data.append(buf, 0, *n);
  }
}

TEST(Charset, IsUtf8Charset) {
  EXPECT_TRUE(IsUtf8Charset("UTF-8"));
  EXPECT_TRUE(IsUtf8Charset("utf-8"));
  EXPECT_TRUE(IsUtf8Charset("utf8"));
  EXPECT_TRUE(IsUtf8Charset("Utf8"));
  EXPECT_FALSE(IsUtf8Charset("UTF-16"));
  EXPECT_FALSE(IsUtf8Charset("ISO-8859-1"));
  EXPECT_FALSE(IsUtf8Charset("UTF-8 "));
  EXPECT_FALSE(IsUtf8Charset(""));
}

TEST(Charset, ValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii, long enough for the 16-byte fast path"));
  EXPECT_TRUE(IsValidUtf8("Zo\xC3\xAB"));        // U+00EB
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));          // U+0080, smallest 2-byte
  EXPECT_TRUE(IsValidUtf8("\xE0\xA0\x80"));      // U+0800, smallest 3-byte
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));      // U+20AC euro
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF, below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));      // U+E000, above the surrogates
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xF0\x90\x80\x80"));  // U+10000, smallest 4-byte
  EXPECT_TRUE(IsValidUtf8("\xF0\x9D\x84\x9E"));  // U+1D11E
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8(std::string("nul \0 is valid", 14)));
}

TEST(Charset, InvalidUtf8) {
  for (std::string_view bad : {
           "\xC0\x80",          // overlong NUL
           "\xC1\xBF",          // overlong U+007F
           "\xE0\x80\x80",      // overlong 3-byte
           "\xE0\x9F\xBF",      // overlong U+07FF
           "\xF0\x80\x80\x80",  // overlong 4-byte
           "\xF0\x8F\xBF\xBF",  // overlong U+FFFF
           "\xED\xA0\x80",      // surrogate U+D800
           "\xED\xBF\xBF",      // surrogate U+DFFF
           "\xF4\x90\x80\x80",  // U+110000
           "\xF5\x80\x80\x80",  // lead byte past U+10FFFF
           "\xF8\x88\x80\x80\x80",
           "\xFF",
           "\x80",          // lone continuation byte
           "\xC3",          // truncated 2-byte
           "\xE2\x82",      // truncated 3-byte
           "\xF0\x9F\x98",  // truncated 4-byte
           "\xC3\x28",      // bad continuation
           "\xE2\x28\xA1",
           "\xE2\x82\x28",
           "\xF0\x9F\x98\x28",
       }) {
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(bad);
    EXPECT_EQ(FindInvalidUtf8(bad), 0u) << testing::PrintToString(bad);
  }
}

TEST(Charset, FindInvalidUtf8Offset) {
  EXPECT_EQ(FindInvalidUtf8("valid \xE2\x82\xAC"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("abc\xC3"), 3u);
  EXPECT_EQ(FindInvalidUtf8("Zo\xC3\xAB\xED\xA0\x80"), 4u);
  // Past the 16-byte ASCII fast path, and inside a block that has a high bit set.
  EXPECT_EQ(FindInvalidUtf8("0123456789abcdefghij\xC0\x80"), 20u);
  EXPECT_EQ(FindInvalidUtf8("0123456789abcde\xC3\xAB\xFF"), 17u);
}

TEST(Charset, Latin1ToUtf8) {
  Converted c = Convert("Zo\xEB", "ISO-8859-1");
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  EXPECT_EQ(c.data, "Zo\xC3\xAB");
  c = Convert("caf\xE9,na\xEFve,\xFF\n", "ISO-8859-1");
  EXPECT_EQ(c.data, "caf\xC3\xA9,na\xC3\xAFve,\xC3\xBF\n");
}

TEST(Charset, Windows1252Euro) {
  Converted c = Convert("\x80 5,\x93quoted\x94", "windows-1252");
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  EXPECT_EQ(c.data, "\xE2\x82\xAC 5,\xE2\x80\x9Cquoted\xE2\x80\x9D");
}

TEST(Charset, JavaNames) {
  EXPECT_EQ(Convert("\x80", "Cp1252").data, "\xE2\x82\xAC");
  EXPECT_EQ(Convert("\x80", "CP1252").data, "\xE2\x82\xAC");
  EXPECT_EQ(Convert("\xEB", "ISO8859_1").data, "\xC3\xAB");
  EXPECT_EQ(Convert("\xEB", "latin1").data, "\xC3\xAB");
  EXPECT_EQ(Convert("\xEB", "iso-8859-1").data, "\xC3\xAB");
  EXPECT_EQ(Convert("\xA4", "ISO-8859-15").data, "\xE2\x82\xAC");
  EXPECT_EQ(Convert("abc", "US-ASCII").data, "abc");
  EXPECT_EQ(Convert(std::string("\x00\xEB", 2), "UnicodeBigUnmarked").data, "\xC3\xAB");
  EXPECT_EQ(Convert(std::string("\xEB\x00", 2), "UnicodeLittleUnmarked").data, "\xC3\xAB");
  EXPECT_EQ(Convert(std::string("\xEB\x00", 2), "UTF_16LE").data, "\xC3\xAB");
  EXPECT_EQ(Convert(std::string("\xFF\xFE\xEB\x00", 4), "x-UTF-16LE-BOM").data, "\xC3\xAB");
  EXPECT_EQ(Convert("\x8A", "x-MacRoman").data, "\xC3\xA4");
}

TEST(Charset, Utf16WithBom) {
  // "Zoë,€\n" then U+1D11E (a surrogate pair), little-endian with a BOM.
  std::string le("\xFF\xFEZ\0o\0\xEB\0,\0\xAC\x20\n\0\x34\xD8\x1E\xDD", 18);
  const std::string want = "Zo\xC3\xAB,\xE2\x82\xAC\n\xF0\x9D\x84\x9E";
  Converted c = Convert(le, "UTF-16");
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  EXPECT_EQ(c.data, want);
  std::string be("\xFE\xFF\0Z\0o\0\xEB\0,\x20\xAC\0\n\xD8\x34\xDD\x1E", 18);
  EXPECT_EQ(Convert(be, "UTF-16").data, want);
}

TEST(Charset, InputSplitAtEveryByte) {
  std::string le("\xFF\xFEZ\0o\0\xEB\0,\0\xAC\x20\n\0\x34\xD8\x1E\xDD", 18);
  Converted c = Convert(le, "UTF-16", /*chunk=*/1, /*read_size=*/1);
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  EXPECT_EQ(c.data, "Zo\xC3\xAB,\xE2\x82\xAC\n\xF0\x9D\x84\x9E");
  // Every split point of a two-chunk input.
  for (size_t split = 0; split <= le.size(); ++split) {
    for (size_t chunk : {split, le.size() - split}) {
      if (chunk == 0) continue;
      EXPECT_EQ(Convert(le, "UTF-16", chunk).data, c.data) << split;
    }
  }
  c = Convert("Zo\xEB \x80", "windows-1252", 1, 1);
  EXPECT_EQ(c.data, "Zo\xC3\xAB \xE2\x82\xAC");
}

TEST(Charset, LargeInputSpansBuffers) {
  std::string in, want;
  for (int i = 0; i < 100000; ++i) {
    in += "row \xEB\xE9\n";
    want += "row \xC3\xAB\xC3\xA9\n";
  }
  Converted c = Convert(in, "ISO-8859-1", 7777, 3333);
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  EXPECT_EQ(c.data, want);
}

TEST(Charset, InvalidByteSequence) {
  Converted c = Convert("ab\x81", "windows-1252");
  EXPECT_EQ(c.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status.message(), "invalid windows-1252 byte sequence at byte offset 2");
  EXPECT_EQ(c.data, "ab");  // the valid bytes before the error are delivered first

  c = Convert("abc\xE9", "US-ASCII", 1, 1);
  EXPECT_EQ(c.status.message(), "invalid US-ASCII byte sequence at byte offset 3");
  EXPECT_EQ(c.data, "abc");

  // A UTF-16 input cut inside a code unit, and inside a surrogate pair.
  c = Convert(std::string("a\0b", 3), "UTF-16LE");
  EXPECT_EQ(c.status.message(), "invalid UTF-16LE byte sequence at byte offset 2");
  EXPECT_EQ(c.data, "a");
  c = Convert(std::string("a\0\x34\xD8", 4), "UTF-16LE", 1);
  EXPECT_EQ(c.status.message(), "invalid UTF-16LE byte sequence at byte offset 2");
  // A lone low surrogate.
  c = Convert(std::string("a\0\x1E\xDD", 4), "UTF-16LE");
  EXPECT_EQ(c.status.message(), "invalid UTF-16LE byte sequence at byte offset 2");
}

TEST(Charset, ErrorOffsetDoesNotDependOnTheReads) {
  // Found by charset_fuzzer: glibc's UTF-7 names the offset where it noticed the bad
  // sequence, which depended on the pieces the source handed out: 6 when read 1 to 6 bytes at
  // a time. ("+APn" is U+00F9 and two bits, which "fff" make a low surrogate alone.)
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{6}, SIZE_MAX}) {
    Converted c = Convert("+APnfff", "UTF-7", chunk, /*read_size=*/7);
    EXPECT_EQ(c.status.message(), "invalid UTF-7 byte sequence at byte offset 4") << chunk;
    EXPECT_EQ(c.data, "\xC3\xB9") << chunk;
  }
}

TEST(Charset, UnknownCharset) {
  Converted c = Convert("x", "no-such-charset");
  EXPECT_EQ(c.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status.message(), "unknown charset 'no-such-charset'");
  EXPECT_EQ(Convert("x", "").status.message(), "unknown charset ''");
}

TEST(Charset, Utf8IsPassedThrough) {
  auto src = std::make_unique<StringInputStream>("Zo\xC3\xAB");
  InputStream* raw = src.get();
  auto conv = NewUtf8Converter(std::move(src), "utf-8");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ(conv->get(), raw);
}

}  // namespace
}  // namespace strm
