#include "formats/csv_writer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "formats/csv_reader.h"

namespace strm {
namespace {

std::string Field(std::string_view f) {
  std::string out;
  AppendCsvField(out, f);
  return out;
}

std::string Record(std::vector<std::string_view> fields) {
  std::string out;
  AppendCsvRecord(out, fields);
  return out;
}

TEST(CsvWriter, PlainFieldsAreNotQuoted) {
  EXPECT_EQ(Field("abc"), "abc");
  EXPECT_EQ(Field(""), "");
  EXPECT_EQ(Field("in the middle"), "in the middle");
  EXPECT_EQ(Field("Zo\xC3\xAB"), "Zo\xC3\xAB");
  EXPECT_EQ(Field("tab\there;semi'single"), "tab\there;semi'single");
}

TEST(CsvWriter, QuotesWhenNeeded) {
  EXPECT_EQ(Field("a,b"), "\"a,b\"");
  EXPECT_EQ(Field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Field("\""), "\"\"\"\"");
  EXPECT_EQ(Field("\"\""), "\"\"\"\"\"\"");
  EXPECT_EQ(Field("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(Field("cr\rlf\r\n"), "\"cr\rlf\r\n\"");
  EXPECT_EQ(Field(" lead"), "\" lead\"");
  EXPECT_EQ(Field("trail "), "\"trail \"");
  EXPECT_EQ(Field(" "), "\" \"");
}

TEST(CsvWriter, FindsSpecialCharactersAtEveryPosition) {
  for (char c : {',', '"', '\r', '\n'}) {
    for (size_t pos = 1; pos < 19; ++pos) {
      std::string f(20, 'x');
      f[pos] = c;
      std::string want = f;
      if (c == '"') want.insert(pos, 1, '"');
      EXPECT_EQ(Field(f), "\"" + want + "\"") << pos;
    }
  }
  EXPECT_EQ(Field(std::string(20, 'x') + "\xC3\xAB"), std::string(20, 'x') + "\xC3\xAB");
}

TEST(CsvWriter, AppendsToExistingOutput) {
  std::string out = "x";
  AppendCsvField(out, "a\"b");
  EXPECT_EQ(out, "x\"a\"\"b\"");
}

TEST(CsvWriter, Records) {
  EXPECT_EQ(Record({"a", "b", "c"}), "a,b,c\n");
  EXPECT_EQ(Record({"a", "", ""}), "a,,\n");
  EXPECT_EQ(Record({"", ""}), ",\n");
  EXPECT_EQ(Record({""}), "\"\"\n");  // not a blank line
  EXPECT_EQ(Record({"x,y", "q\"", "n\nl"}), "\"x,y\",\"q\"\"\",\"n\nl\"\n");
  std::string out;
  AppendCsvRecord(out, std::vector<std::string_view>{"h1", "h2"});
  AppendCsvRecord(out, std::vector<std::string_view>{"1", "2"});
  EXPECT_EQ(out, "h1,h2\n1,2\n");
}

TEST(CsvWriter, RoundTripsRandomRecords) {
  std::mt19937 rng(42);
  const std::vector<std::string> pieces = {
      "a", "b", " ", ",", "\"", "\r", "\n", "\xC3\xAB", std::string(1, '\0')};
  std::vector<std::vector<std::string>> want;
  std::string csv;
  for (int r = 0; r < 2000; ++r) {
    std::vector<std::string> rec(1 + rng() % 6);
    for (auto& f : rec) {
      for (size_t len = rng() % 8; len > 0; --len) f += pieces[rng() % pieces.size()];
    }
    std::vector<std::string_view> views(rec.begin(), rec.end());
    AppendCsvRecord(csv, views);
    want.push_back(std::move(rec));
  }
  want.push_back({""});  // a last record of one empty field must survive
  AppendCsvRecord(csv, std::vector<std::string_view>{""});

  auto got = ParseCsvDocument(csv);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, want);
}

TEST(CsvWriter, WriteCsvFieldWritesWhatAppendCsvFieldAppends) {
  for (std::string_view f : {"", "plain", "a,b", "say \"hi\"", "line\nbreak", "cr\r", " lead",
                             "trail ", "\"\"", "zoë,日本"}) {
    std::string appended = "x";
    AppendCsvField(appended, f);
    std::string raw(MaxCsvFieldSize(f.size()), '?');
    char* end = WriteCsvField(raw.data(), f);
    EXPECT_EQ("x" + raw.substr(0, end - raw.data()), appended) << f;
  }
  std::string quoted(MaxCsvFieldSize(3), '?');
  EXPECT_EQ(std::string(quoted.data(), WriteCsvField(quoted.data(), "\"\"\"")), "\"\"\"\"\"\"\"\"")
      << "the worst case fills the whole room";
}

TEST(CsvWriter, WritePlainCsvFieldQuotesOnlyForSpaces) {
  // Fields without ',', '"', CR or LF: the same output as WriteCsvField.
  for (std::string_view f : {"", "plain", " lead", "trail ", " ", "in side", "zoë日本"}) {
    std::string plain(MaxCsvFieldSize(f.size()), '?'), full = plain;
    plain.resize(WritePlainCsvField(plain.data(), f) - plain.data());
    full.resize(WriteCsvField(full.data(), f) - full.data());
    EXPECT_EQ(plain, full) << f;
  }
  std::string out(8, '?');
  EXPECT_EQ(std::string(out.data(), WritePlainCsvField(out.data(), " a")), "\" a\"");
}

}  // namespace
}  // namespace strm
