// Fuzzes the CSV reader: the records of an input must not depend on how it is cut into
// blocks or reads, and charset conversion must read any bytes to a clean end.
//   input: [block size byte][max chunk byte] CSV bytes...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/stream.h"
#include "formats/charset.h"
#include "formats/csv_reader.h"

namespace strm {
namespace {

using Rows = std::vector<std::vector<std::string>>;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "csv_fuzzer: %s\n", what);
    std::abort();
  }
}

// Reads the whole stream block by block into rows, checking each block's row bookkeeping.
Result<Rows> ReadRows(const std::string& data, size_t block_size, size_t max_chunk) {
  StringInputStream in(data, max_chunk);
  CsvBlockReader reader(&in, block_size);
  CsvRecords records;
  Rows rows;
  for (;;) {
    STRM_ASSIGN_OR_RETURN(CsvBlock block, reader.Next());
    if (block.data.empty()) {
      Check(reader.bytes_read() == data.size(), "bytes_read is not the input size");
      return rows;
    }
    Check(block.first_row == rows.size(), "block.first_row is not the rows read so far");
    STRM_RETURN_IF_ERROR(records.Parse(block, /*validate_utf8=*/true));
    Check(records.size() == block.rows, "block.rows is not the records parsed");
    for (size_t i = 0; i < records.size(); ++i) {
      rows.emplace_back(records[i].begin(), records[i].end());
    }
  }
}

// Converts `data` from `charset` to UTF-8, reading `chunk` bytes at a time.
void Convert(const std::string& data, const char* charset, size_t max_chunk, size_t chunk) {
  auto in = NewUtf8Converter(std::make_unique<StringInputStream>(data, max_chunk), charset);
  Check(in.ok(), "charset unknown");
  std::string out, buf(chunk, '\0');
  for (;;) {
    Result<size_t> n = (*in)->Read(buf.data(), buf.size());
    if (!n.ok()) return;
    if (*n == 0) break;
    Check(*n <= buf.size(), "read more than asked");
    out.append(buf, 0, *n);
  }
  Check(IsValidUtf8(out), "converter output is not UTF-8");
  if (std::string_view(charset) == "ISO-8859-1") {  // every byte is one code point
    std::string expected;
    for (unsigned char c : data) {
      if (c < 0x80) {
        expected += static_cast<char>(c);
      } else {
        expected += static_cast<char>(0xC0 | (c >> 6));
        expected += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    Check(out == expected, "ISO-8859-1 conversion differs from the expected bytes");
  }
}

}  // namespace
}  // namespace strm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace strm;
  if (size < 2) return 0;
  const size_t block_size = bytes[0] % 64 + 1;
  const size_t max_chunk = bytes[1] % 16 + 1;
  const std::string data(reinterpret_cast<const char*>(bytes) + 2, size - 2);

  Result<Rows> small = ReadRows(data, block_size, max_chunk);
  Result<Rows> big = ReadRows(data, 1 << 20, SIZE_MAX);
  Check(small.ok() == big.ok(), "block size changes whether the input parses");
  if (small.ok()) {
    Check(*small == *big, "block size changes the records");
  } else {
    Check(small.status().message() == big.status().message(),
          "block size changes the error message");
  }
  Result<Rows> doc = ParseCsvDocument(data);
  Check(doc.ok() == big.ok(), "ParseCsvDocument disagrees on success");
  if (doc.ok()) Check(*doc == *big, "ParseCsvDocument disagrees on the records");

  Convert(data, "ISO-8859-1", max_chunk, block_size);
  Convert(data, "UTF-16", max_chunk, block_size);
  return 0;
}
