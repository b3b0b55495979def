// CsvRecords (the fields of a block's records, on the plain path and the quoted one) and
// ParseCsvDocument. The block reader is in csv_reader_test.cc.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "formats/csv_reader.h"

namespace strm {
namespace {

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvRecords, FieldsPointIntoBlockUnlessUnescaped) {
  CsvBlock block{"plain,\"quoted\",\"dou\"\"bled\"\n", 0, 1};
  CsvRecords records;
  ASSERT_TRUE(records.Parse(block, true).ok());
  ASSERT_EQ(records.size(), 1u);
  auto f = records[0];
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0], "plain");
  EXPECT_EQ(f[1], "quoted");
  EXPECT_EQ(f[2], "dou\"bled");
  EXPECT_EQ(f[0].data(), block.data.data());
  EXPECT_EQ(f[1].data(), block.data.data() + 7);
  EXPECT_FALSE(f[2].data() >= block.data.data() &&
               f[2].data() < block.data.data() + block.data.size());
}

TEST(CsvRecords, ManyUnescapedFieldsStayValid) {
  std::string data;
  for (int i = 0; i < 2000; ++i) data += "\"" + std::to_string(i) + "\"\"q\"\"\",x\n";
  CsvRecords records;
  ASSERT_TRUE(records.Parse(CsvBlock{"\"small\"\"\"\n", 0, 1}, true).ok());  // reuse
  CsvBlock block{data, 0, 2000};
  ASSERT_TRUE(records.Parse(block, true).ok());
  ASSERT_EQ(records.size(), 2000u);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(records[i].size(), 2u);
    EXPECT_EQ(records[i][0], std::to_string(i) + "\"q\"");
    EXPECT_EQ(records[i][1], "x");
  }
}

// Blocks without quotes and CRs take the plain path (64 bytes a step without UTF-8
// checks, 16 with them): the same records as a plain split on LF and ',' at every length
// and alignment.
TEST(CsvRecords, PlainBlocksSplitOnEveryCommaAndNewline) {
  std::mt19937 rng(7);
  const std::string alphabet[] = {"a", "b", ",", " ", "\n", "\xC3\xA9"};  // "é": two bytes
  for (int round = 0; round < 600; ++round) {
    std::string data;
    const size_t len = rng() % 300;
    for (size_t i = 0; i < len; ++i) data += alphabet[rng() % std::size(alphabet)];
    if (rng() % 2 && !data.empty() && data.back() != '\n') data += '\n';
    CsvRecords records;
    const CsvBlock block{data, 0, 0};  // the fields point into it
    ASSERT_TRUE(records.Parse(block, /*validate_utf8=*/round % 2 == 1).ok()) << data;
    EXPECT_TRUE(records.plain());
    Rows expected;
    std::vector<std::string> row(1);
    for (char c : data) {
      if (c == '\n') {
        expected.push_back(row);
        row.assign(1, "");
      } else if (c == ',') {
        row.emplace_back();
      } else {
        row.back() += c;
      }
    }
    if (!data.empty() && data.back() != '\n') expected.push_back(row);
    Rows got;
    for (size_t i = 0; i < records.size(); ++i)
      got.emplace_back(records[i].begin(), records[i].end());
    EXPECT_EQ(got, expected) << "input: " << data;
    if (round % 2 == 0 && !data.empty() && data.back() == '\n') {
      EXPECT_EQ(records.ascii(), data.find('\xC3') == std::string::npos) << data;
    }
    if (round % 2 == 1) {
      EXPECT_FALSE(records.ascii()) << "only known without validation";
    }
  }
}

// A quote or CR found late in a block, after whole 64-byte steps of plain records: the
// records are those of the quoting rules, not of a plain split.
TEST(CsvRecords, LateQuotesAndCarriageReturnsLeaveThePlainPath) {
  std::string prefix;
  for (int i = 0; i < 10; ++i) prefix += "row" + std::to_string(i) + ",some plain text\n";
  for (const std::string& last : {std::string("\"a,b\",c\n"), std::string("x,y\r\n")}) {
    const std::string data = prefix + last;
    CsvRecords records;
    const CsvBlock block{data, 0, 11};  // the fields point into it
    ASSERT_TRUE(records.Parse(block, false).ok());
    EXPECT_FALSE(records.plain());
    EXPECT_FALSE(records.ascii());
    ASSERT_EQ(records.size(), 11u);
    EXPECT_EQ(records[9][1], "some plain text");
    const auto f = records[10];
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0], last[0] == '"' ? "a,b" : "x");
    EXPECT_EQ(f[1], last[0] == '"' ? "c" : "y");
  }
}

TEST(CsvRecords, PlainOnlyWithoutQuotesAndCarriageReturns) {
  CsvRecords records;
  ASSERT_TRUE(records.Parse(CsvBlock{"a,b\nc,d\n", 0, 2}, true).ok());
  EXPECT_TRUE(records.plain());
  ASSERT_TRUE(records.Parse(CsvBlock{"a,\"b\"\n", 0, 1}, true).ok());
  EXPECT_FALSE(records.plain());
  const CsvBlock crlf{"a,b\r\n", 0, 1};
  ASSERT_TRUE(records.Parse(crlf, true).ok());
  EXPECT_FALSE(records.plain());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0][1], "b");
  // Invalid UTF-8 in a long plain block is reported in its row.
  std::string data;
  for (int i = 0; i < 40; ++i) data += "row" + std::to_string(i) + ",xxxxxxxxxxxxxxxx\n";
  data += "bad\xFF,x\n";
  Status s = records.Parse(CsvBlock{data, 5, 41}, true);
  EXPECT_EQ(s.message(), "invalid UTF-8 in row 45");
}

TEST(CsvRecords, EmptyBlock) {
  CsvRecords records;
  EXPECT_EQ(records.size(), 0u);
  ASSERT_TRUE(records.Parse(CsvBlock{}, true).ok());
  EXPECT_EQ(records.size(), 0u);
}

TEST(ParseCsvDocument, KeysFile) {
  auto rows = ParseCsvDocument(
      "keyLink,encryptionKey,policyId,expiresAt\r\n"
      "6c1a,\"{\"\"primaryKeyId\"\":1,\"\"key\"\":[]}\",,1893456000000\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_EQ(*rows, (Rows{{"keyLink", "encryptionKey", "policyId", "expiresAt"},
                         {"6c1a", "{\"primaryKeyId\":1,\"key\":[]}", "", "1893456000000"}}));
  EXPECT_EQ(*ParseCsvDocument(""), Rows{});
  EXPECT_EQ(*ParseCsvDocument("\xEF\xBB\xBF"
                              "a\n\n"),
            (Rows{{"a"}}));
  EXPECT_EQ(ParseCsvDocument("a\n\"b").status().message(), "unterminated quoted field in row 1");
  EXPECT_EQ(ParseCsvDocument("a\n\xFF").status().message(), "invalid UTF-8 in row 1");
}

}  // namespace
}  // namespace strm
