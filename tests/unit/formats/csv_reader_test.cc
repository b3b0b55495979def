#include "formats/csv_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace strm {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// Reads `csv` with the given block target and source chunk size, parses every block and
// checks that the blocks' numbering matches what was parsed.
Result<Rows> ReadCsv(std::string csv, size_t target = 4 << 20, size_t chunk = SIZE_MAX,
                     bool validate = true) {
  StringInputStream in(std::move(csv), chunk);
  CsvBlockReader reader(&in, target);
  CsvRecords records;
  Rows rows;
  for (;;) {
    STRM_ASSIGN_OR_RETURN(CsvBlock block, reader.Next());
    EXPECT_EQ(block.first_row, rows.size());
    if (block.data.empty()) {
      EXPECT_EQ(block.rows, 0u);
      return rows;
    }
    STRM_RETURN_IF_ERROR(records.Parse(block, validate));
    EXPECT_EQ(records.size(), block.rows);
    for (size_t i = 0; i < records.size(); ++i) {
      rows.emplace_back(records[i].begin(), records[i].end());
    }
  }
}

Status ReadError(std::string csv, size_t target = 4 << 20, size_t chunk = SIZE_MAX) {
  Result<Rows> r = ReadCsv(std::move(csv), target, chunk);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Status::Ok() : r.status();
}

TEST(CsvReader, SimpleRecords) {
  EXPECT_EQ(*ReadCsv("a,b,c\n1,2,3\n"), (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
  EXPECT_EQ(*ReadCsv("single\n"), (Rows{{"single"}}));
  EXPECT_EQ(*ReadCsv(" spaced , kept \n"), (Rows{{" spaced ", " kept "}}));
}

TEST(CsvReader, LastRecordWithoutNewline) {
  EXPECT_EQ(*ReadCsv("a,b\nc,d"), (Rows{{"a", "b"}, {"c", "d"}}));
  EXPECT_EQ(*ReadCsv("a,\"b\""), (Rows{{"a", "b"}}));
  EXPECT_EQ(*ReadCsv("x"), (Rows{{"x"}}));
}

TEST(CsvReader, EmptyFields) {
  EXPECT_EQ(*ReadCsv("a,,b\n"), (Rows{{"a", "", "b"}}));
  EXPECT_EQ(*ReadCsv("a,b,\n"), (Rows{{"a", "b", ""}}));
  EXPECT_EQ(*ReadCsv("a,b,"), (Rows{{"a", "b", ""}}));
  EXPECT_EQ(*ReadCsv(",\n"), (Rows{{"", ""}}));
  EXPECT_EQ(*ReadCsv(",,\r\n"), (Rows{{"", "", ""}}));
  EXPECT_EQ(*ReadCsv("\"\",\"\"\n"), (Rows{{"", ""}}));
}

TEST(CsvReader, LongUnquotedFields) {
  const std::string a(13, 'a'), b(21, 'b'), c(8, 'c');
  EXPECT_EQ(*ReadCsv(a + "," + b + "," + c + "\r\n" + c + c + "\n"), (Rows{{a, b, c}, {c + c}}));
  EXPECT_EQ(ReadError(a + "," + b + "\"" + c + "\n").message(),
            "unexpected quote in unquoted field in row 0");
}

TEST(CsvReader, CrlfRecords) {
  EXPECT_EQ(*ReadCsv("a,b\r\nc,d\r\n"), (Rows{{"a", "b"}, {"c", "d"}}));
  EXPECT_EQ(*ReadCsv("\"a\",\"b\"\r\n\"c\"\r\n"), (Rows{{"a", "b"}, {"c"}}));
  EXPECT_EQ(*ReadCsv("mixed\r\nlf\nend\r\n"), (Rows{{"mixed"}, {"lf"}, {"end"}}));
  // A CR that does not end a record is data.
  EXPECT_EQ(*ReadCsv("a\rb,c\r\r\n"), (Rows{{"a\rb", "c\r"}}));
  EXPECT_EQ(*ReadCsv("a,b\r"), (Rows{{"a", "b\r"}}));
}

TEST(CsvReader, QuotedNewlinesCommasAndQuotes) {
  EXPECT_EQ(*ReadCsv("h1,h2\n\"line1\nline2\",\"crlf\r\ninside\"\nx,\"a,b\"\n"),
            (Rows{{"h1", "h2"}, {"line1\nline2", "crlf\r\ninside"}, {"x", "a,b"}}));
  EXPECT_EQ(*ReadCsv("\"say \"\"hi\"\"\",\"\"\"\"\n"), (Rows{{"say \"hi\"", "\""}}));
  EXPECT_EQ(*ReadCsv("\"\"\"\"\"\"\n\"a\"\"\"\"b\"\n"), (Rows{{"\"\""}, {"a\"\"b"}}));
  EXPECT_EQ(*ReadCsv("\"lone\rcr\",\"\n\"\n"), (Rows{{"lone\rcr", "\n"}}));
}

TEST(CsvReader, Bom) {
  EXPECT_EQ(*ReadCsv("\xEF\xBB\xBF"
                     "a,b\n1,2\n"),
            (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(*ReadCsv("\xEF\xBB\xBF"
                     "a,b\n",
                     4 << 20, /*chunk=*/1),
            (Rows{{"a", "b"}}));
  EXPECT_EQ(*ReadCsv("\xEF\xBB\xBF"), Rows{});
  EXPECT_EQ(*ReadCsv("\xEF\xBB\xBF\n"), Rows{});
  // Only at the start of the stream.
  EXPECT_EQ(*ReadCsv("a\n\xEF\xBB\xBF"
                     "b\n"),
            (Rows{{"a"},
                  {"\xEF\xBB\xBF"
                   "b"}}));
  // A prefix of a BOM is data (and then invalid UTF-8).
  EXPECT_EQ(*ReadCsv("\xEF\xBB", 4 << 20, 1, /*validate=*/false), (Rows{{"\xEF\xBB"}}));
}

TEST(CsvReader, BlankLines) {
  // A blank line in the middle is a record of one empty field.
  EXPECT_EQ(*ReadCsv("h\n\nx\n"), (Rows{{"h"}, {""}, {"x"}}));
  EXPECT_EQ(*ReadCsv("h\r\n\r\nx"), (Rows{{"h"}, {""}, {"x"}}));
  EXPECT_EQ(*ReadCsv("\nh\n"), (Rows{{""}, {"h"}}));
  // Blank lines at the end are not records.
  EXPECT_EQ(*ReadCsv("h\nx\n\n"), (Rows{{"h"}, {"x"}}));
  EXPECT_EQ(*ReadCsv("h\nx\n\n\r\n\n"), (Rows{{"h"}, {"x"}}));
  EXPECT_EQ(*ReadCsv("h\n\n\nx\n\n"), (Rows{{"h"}, {""}, {""}, {"x"}}));
  EXPECT_EQ(*ReadCsv(""), Rows{});
  EXPECT_EQ(*ReadCsv("\n"), Rows{});
  EXPECT_EQ(*ReadCsv("\n\n\n"), Rows{});
  // Also when the blocks are cut between the blank lines.
  for (size_t target : {1, 2, 3, 5}) {
    for (size_t chunk : {1, 2, 100}) {
      EXPECT_EQ(*ReadCsv("h\n\n\nx\n\n\n", target, chunk), (Rows{{"h"}, {""}, {""}, {"x"}}));
      EXPECT_EQ(*ReadCsv("\n\n\n\n", target, chunk), Rows{});
    }
  }
}

// Without quotes the reader counts newlines in bulk and finds the blank lines at the end
// from the back: the records are those of the definition, read line by line here, whatever
// the block and read sizes.
TEST(CsvReader, QuotelessInputCountsRecordsAsTheRulesSay) {
  std::mt19937 rng(11);
  const char* lines[] = {"a,b", "xyz", "", "\r", "1,2,3\r", ",", "\r", ""};
  for (int round = 0; round < 300; ++round) {
    std::string csv;
    std::vector<std::string> complete;
    for (size_t n = rng() % 30; n > 0; --n) complete.emplace_back(lines[rng() % std::size(lines)]);
    for (const std::string& l : complete) csv += l + "\n";
    const bool partial = rng() % 3 == 0;  // a last record without a newline
    if (partial) csv += rng() % 2 ? "a,b" : "xyz";
    Rows want;
    for (const std::string& l : complete) {
      std::string content = l.ends_with('\r') ? l.substr(0, l.size() - 1) : l;
      std::vector<std::string> fields{""};
      for (char c : content) {
        if (c == ',')
          fields.emplace_back();
        else
          fields.back().push_back(c);
      }
      want.push_back(fields);
    }
    if (!partial)  // blank lines at the end are not records
      while (!want.empty() && want.back() == std::vector<std::string>{""}) want.pop_back();
    if (partial)
      want.push_back(csv.ends_with("a,b") ? std::vector<std::string>{"a", "b"}
                                          : std::vector<std::string>{"xyz"});
    for (size_t target : {1, 2, 5, 64}) {
      for (size_t chunk : {1, 3, 1000}) {
        Result<Rows> got = ReadCsv(csv, target, chunk);
        ASSERT_TRUE(got.ok()) << got.status().message();
        ASSERT_EQ(*got, want) << "round " << round << " target " << target << " chunk " << chunk;
      }
    }
  }
}

TEST(CsvReader, NonAsciiUtf8) {
  EXPECT_EQ(
      *ReadCsv("\xE5\x90\x8D\xE5\x89\x8D,Zo\xC3\xAB\n\"\xE2\x82\xAC 5\",\xF0\x9D\x84\x9E\n"),
      (Rows{{"\xE5\x90\x8D\xE5\x89\x8D", "Zo\xC3\xAB"}, {"\xE2\x82\xAC 5", "\xF0\x9D\x84\x9E"}}));
}

TEST(CsvReader, BlockNumbering) {
  StringInputStream in("aa\nbb\ncc\n");
  CsvBlockReader reader(&in, 4);
  auto b = reader.Next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data, "aa\nbb\n");
  EXPECT_EQ(b->first_row, 0u);
  EXPECT_EQ(b->rows, 2u);
  b = reader.Next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data, "cc\n");
  EXPECT_EQ(b->first_row, 2u);
  EXPECT_EQ(b->rows, 1u);
  b = reader.Next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data, "");
  EXPECT_EQ(b->first_row, 3u);
  EXPECT_EQ(b->rows, 0u);
  EXPECT_EQ(reader.bytes_read(), 9u);
  b = reader.Next();  // still the end
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data, "");
}

TEST(CsvReader, BlocksHoldWholeRecords) {
  // Quoted newlines are not record ends: one record per block with a target of 1 byte.
  StringInputStream in("\"a\nb\",c\n\"\"\"x\n\"\"\"\r\nlast");
  CsvBlockReader reader(&in, 1);
  std::vector<std::string> blocks;
  for (;;) {
    auto b = reader.Next();
    ASSERT_TRUE(b.ok()) << b.status().message();
    if (b->data.empty()) break;
    EXPECT_EQ(b->rows, 1u);
    EXPECT_EQ(b->first_row, blocks.size());
    blocks.emplace_back(b->data);
  }
  EXPECT_EQ(blocks, (std::vector<std::string>{"\"a\nb\",c\n", "\"\"\"x\n\"\"\"\r\n", "last"}));
}

TEST(CsvReader, SmallBlocksGiveTheSameRecords) {
  std::string csv = "\xEF\xBB\xBFid,name,note\r\n";
  for (int i = 0; i < 300; ++i) {
    std::string n = std::to_string(i);
    switch (i % 6) {
      case 0:
        csv += n + ",plain,text\n";
        break;
      case 1:
        csv += n + ",\"quoted\nnewline\",\"with \"\"quotes\"\"\"\r\n";
        break;
      case 2:
        csv += n + ",,\n";
        break;
      case 3:
        csv += "\n";
        break;
      case 4:
        csv += n + ",Zo\xC3\xAB,\"a,b\r\nc\"\n";
        break;
      case 5:
        csv += n + ",\"\",\"" + std::string(40, '"') + "\"\n";
        break;
    }
  }
  csv += "end,no,newline";
  Result<Rows> whole = ReadCsv(csv);
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  ASSERT_EQ(whole->size(), 302u);
  EXPECT_EQ((*whole)[0], (std::vector<std::string>{"id", "name", "note"}));
  EXPECT_EQ((*whole)[2], (std::vector<std::string>{"1", "quoted\nnewline", "with \"quotes\""}));
  EXPECT_EQ((*whole)[4], (std::vector<std::string>{""}));
  EXPECT_EQ((*whole)[6], (std::vector<std::string>{"5", "", std::string(20, '"')}));
  EXPECT_EQ((*whole)[301], (std::vector<std::string>{"end", "no", "newline"}));
  for (size_t target : {1, 7, 16, 100, 4096}) {
    for (size_t chunk : {1, 3, 16, 1000}) {
      Result<Rows> split = ReadCsv(csv, target, chunk);
      ASSERT_TRUE(split.ok()) << split.status().message();
      EXPECT_EQ(*split, *whole) << target << " " << chunk;
    }
  }
}

TEST(CsvReader, RecordLongerThanBlockAndReads) {
  std::string big;
  for (int i = 0; i < 5000; ++i) big += i % 10 == 0 ? "\n" : (i % 7 == 0 ? "\"\"" : "x");
  const std::string next(40, 'n');  // longer than a read, so the first block ends before it
  std::string csv = "a,\"" + big + "\",b\n" + next + "\n";
  std::string want = big;
  for (size_t p = 0; (p = want.find("\"\"", p)) != std::string::npos; ++p) want.erase(p, 1);
  StringInputStream in(csv, /*max_chunk=*/13);
  CsvBlockReader reader(&in, 16);
  auto b = reader.Next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data, "a,\"" + big + "\",b\n");  // one block bigger than the target
  EXPECT_EQ(b->rows, 1u);
  CsvRecords records;
  ASSERT_TRUE(records.Parse(*b, true).ok());
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].size(), 3u);
  EXPECT_EQ(records[0][1], want);
  b = reader.Next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data, next + "\n");
  EXPECT_EQ(b->first_row, 1u);
}

// Reads go to the target and 64 KiB past it: a block ends within a record of that, and
// owns its bytes (they outlive the reader).
TEST(CsvReader, BlocksEndSoonAfterTheTargetAndOwnTheirBytes) {
  std::string csv;
  for (int i = 0; i < 40000; ++i)
    csv += "row " + std::to_string(i) + std::string(i % 90, 'x') + "\n";
  std::vector<CsvBlock> blocks;
  {
    StringInputStream in(csv);
    CsvBlockReader reader(&in, 100 << 10);
    for (;;) {
      auto b = reader.Next();
      ASSERT_TRUE(b.ok()) << b.status().message();
      if (b->data.empty()) break;
      blocks.push_back(std::move(b).value());
    }
  }
  ASSERT_GT(blocks.size(), 10u);
  std::string joined;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i + 1 < blocks.size()) {
      EXPECT_GE(blocks[i].data.size(), size_t{100} << 10) << i;
      EXPECT_LE(blocks[i].data.size(), (size_t{164} << 10) + 100) << i;
    }
    joined += blocks[i].data;
  }
  EXPECT_TRUE(joined == csv) << "the blocks, in order, are not the input";
}

TEST(CsvReader, UnterminatedQuote) {
  Status s = ReadError("h\nx\n\"abc\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unterminated quoted field in row 2");
  EXPECT_EQ(ReadError("\"").message(), "unterminated quoted field in row 0");
  EXPECT_EQ(ReadError("h\n\n\"abc").message(), "unterminated quoted field in row 2");
  EXPECT_EQ(ReadError("a\nb\nc\n\"\"\"open\n", 1, 1).message(),
            "unterminated quoted field in row 3");
  EXPECT_EQ(ReadError("a\nb,\"c\"\"\n", 1, 1).message(), "unterminated quoted field in row 1");

  CsvRecords records;  // a hand-made block
  EXPECT_EQ(records.Parse(CsvBlock{"ok\n\"abc", 5, 2}, true).message(),
            "unterminated quoted field in row 6");
}

TEST(CsvReader, ErrorsComeInStreamOrderWhateverTheBlockSize) {
  // Found by csv_fuzzer: with one big block the open quote at the end was reported before
  // the invalid UTF-8 of row 0, with small blocks after it.
  const std::string csv = std::string(72, '\xeb') + "\x01\xef\xbb\xbf" + "h1,h2\n\"unterminated,\n";
  EXPECT_EQ(ReadError(csv, 2, 12).message(), "invalid UTF-8 in row 0");
  EXPECT_EQ(ReadError(csv).message(), "invalid UTF-8 in row 0");
  EXPECT_EQ(ParseCsvDocument(csv).status().message(), "invalid UTF-8 in row 0");

  // The records before the open quote come as a block, then the error, again and again.
  StringInputStream in("a\n\n\"open\n");
  CsvBlockReader reader(&in);
  auto b = reader.Next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data, "a\n\n");
  EXPECT_EQ(b->first_row, 0u);
  EXPECT_EQ(b->rows, 2u);
  for (int i = 0; i < 2; ++i) {
    b = reader.Next();
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().message(), "unterminated quoted field in row 2");
  }
}

// Reads `csv` with a record limit; the rows before the first error, and the error.
std::pair<Rows, Status> ReadLimited(std::string csv, uint64_t limit, size_t target, size_t chunk) {
  StringInputStream in(std::move(csv), chunk);
  CsvBlockReader reader(&in, target, limit);
  CsvRecords records;
  Rows rows;
  for (;;) {
    auto block = reader.Next();
    if (!block.ok()) {
      EXPECT_EQ(reader.Next().status().message(), block.status().message()) << "it stays";
      return {rows, block.status()};
    }
    if (block->data.empty()) return {rows, Status::Ok()};
    Status s = records.Parse(*block, true);
    if (!s.ok()) return {rows, s};
    for (size_t i = 0; i < records.size(); ++i)
      rows.emplace_back(records[i].begin(), records[i].end());
  }
}

TEST(CsvReader, RecordsUpToTheLimitPassAndLongerOnesAreNamed) {
  // Records of exactly 10 bytes before their LF pass; row 3 has 11.
  const std::vector<std::string> inputs = {
      "h,eadermax\n0123456789\n012345678\n01234567890\nabc\n",         // plain
      "h,eadermax\n\"12345678\"\n012345678\n\"1\n\"\"45678\"\nabc\n",  // quoted
      "h,eadermax\n\n\n01234567890\n",                                 // blank rows before it
      "h,eadermax\n0123456789\n012345678\n0123456789012345",           // last, no newline
  };
  for (const std::string& csv : inputs) {
    for (size_t target : {1, 3, 16, 64, 1 << 20}) {
      for (size_t chunk : {1, 5, 1 << 20}) {
        auto [rows, status] = ReadLimited(csv, 10, target, chunk);
        EXPECT_EQ(status.message(), "record longer than max_record_bytes (10 bytes) in row 3")
            << csv << " target " << target << " chunk " << chunk;
        EXPECT_EQ(rows.size(), 3u) << "the rows before it come first: " << csv;
      }
    }
  }
  auto [rows, status] = ReadLimited("a\n0123456789\n", 10, 4, 3);
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(ReadLimited("0123456789ab\n", 10, 1 << 20, 1 << 20).second.message(),
            "record longer than max_record_bytes (10 bytes) in row 0");
}

// An endless stream of one byte: never a newline, or one quoted field that never closes.
class EndlessInput final : public InputStream {
 public:
  explicit EndlessInput(std::string start, char fill) : start_(std::move(start)), fill_(fill) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t i = 0;
    for (; i < n && pos_ < start_.size(); ++i) buf[i] = start_[pos_++];
    std::memset(buf + i, fill_, n - i);
    served_ += n;
    return n;
  }
  uint64_t served() const { return served_; }

 private:
  std::string start_;
  size_t pos_ = 0;
  char fill_;
  uint64_t served_ = 0;
};

TEST(CsvReader, MemoryStaysBoundedWhateverTheInput) {
  constexpr uint64_t kLimit = 1 << 20;
  struct Case {
    std::string start;
    char fill;
    uint64_t rows;  // complete records before the endless one
  };
  for (const Case& c :
       std::vector<Case>{{"a,b\n1,2\n", 'x', 2},    // no newline ever
                         {"a,b\n1,\"", '\n', 1},    // a quoted field of newlines that never closes
                         {"a,b\n1,\"", 'y', 1}}) {  // a quoted field that never closes
    EndlessInput in(c.start, c.fill);
    CsvBlockReader reader(&in, 64 << 10, kLimit);
    auto first = reader.Next();
    ASSERT_TRUE(first.ok()) << first.status().message();
    EXPECT_EQ(first->rows, c.rows);
    auto second = reader.Next();
    EXPECT_EQ(
        second.status().message(),
        "record longer than max_record_bytes (1048576 bytes) in row " + std::to_string(c.rows));
    EXPECT_LE(in.served(), 2 * kLimit + (4 << 20)) << "it stopped reading soon after the limit";
  }
}

TEST(CsvReader, UnexpectedQuote) {
  Status s = ReadError("h\na\"b\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unexpected quote in unquoted field in row 1");
  EXPECT_EQ(ReadError("h\nx,y\nz, \"q\"\n").message(),
            "unexpected quote in unquoted field in row 2");
  EXPECT_EQ(ReadError("ab\"\n").message(), "unexpected quote in unquoted field in row 0");
  // A stray quote does not open a quoted field when the stream is cut into blocks.
  EXPECT_EQ(ReadError("h\n1\n5\" screen\n2\n", 1, 1).message(),
            "unexpected quote in unquoted field in row 2");
  EXPECT_EQ(ReadError("h\na\"\"b\n", 1, 1).message(),
            "unexpected quote in unquoted field in row 1");
}

TEST(CsvReader, CharacterAfterClosingQuote) {
  Status s = ReadError("h\n\"a\"b\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unexpected character after closing quote in row 1");
  EXPECT_EQ(ReadError("\"a\" ,b\n").message(), "unexpected character after closing quote in row 0");
  EXPECT_EQ(ReadError("h\n1\n2\n\"a\"\r").message(),
            "unexpected character after closing quote in row 3");
  EXPECT_EQ(ReadError("h\n1\n2\n\"a\"\rb\n", 1, 1).message(),
            "unexpected character after closing quote in row 3");
}

TEST(CsvReader, InvalidUtf8) {
  Status s = ReadError("h\nok\nbad\xC3\x28\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid UTF-8 in row 2");
  EXPECT_EQ(ReadError("h\n\"\xED\xA0\x80\"\n").message(), "invalid UTF-8 in row 1");  // surrogate
  EXPECT_EQ(ReadError("h\n1\n\xC0\xAF\n").message(), "invalid UTF-8 in row 2");       // overlong
  EXPECT_EQ(ReadError("h\n1\n2\nabc\xE2\x82").message(), "invalid UTF-8 in row 3");   // truncated
  EXPECT_EQ(ReadError("h\n1\n2\n3,\xF4\x90\x80\x80\n4\n", 2, 1).message(),
            "invalid UTF-8 in row 3");  // over U+10FFFF
  // A multibyte sequence cut by a newline belongs to the record where it starts.
  EXPECT_EQ(ReadError("h\nx\xC3\n\xAB\n").message(), "invalid UTF-8 in row 1");
  // Without validation the bytes pass through.
  EXPECT_EQ(*ReadCsv("h\nbad\xC3\x28\n", 4 << 20, SIZE_MAX, /*validate=*/false),
            (Rows{{"h"}, {"bad\xC3\x28"}}));
  // The first row in error is reported.
  EXPECT_EQ(ReadError("h\n\xFF\n\"a\"b\n").message(), "invalid UTF-8 in row 1");
  EXPECT_EQ(ReadError("h\n\"a\"b\n\xFF\n").message(),
            "unexpected character after closing quote in row 1");
}

TEST(CsvReader, ReadErrorIsPassedOn) {
  class Failing final : public InputStream {
   public:
    Result<size_t> Read(char*, size_t) override { return IoError("disk on fire"); }
  } failing;
  CsvBlockReader reader(&failing);
  auto b = reader.Next();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kIo);
  EXPECT_EQ(b.status().message(), "disk on fire");
}

}  // namespace
}  // namespace strm
