// Fuzzes the CSV reader: the records of an input must not depend on how it is cut into
// blocks or reads. (Charset conversion has its own fuzzer, charset_fuzzer.)
//   input: [block size byte][max chunk byte] CSV bytes...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/stream.h"
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

}  // namespace
}  // namespace strm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace strm;
  if (size < 2) return 0;
  const size_t block_size = bytes[0] % 64 + 1;
  const size_t max_chunk = bytes[1] % 16 + 1;
  const std::string data(reinterpret_cast<const char*>(bytes) + 2, size - 2);

  Result<Rows> small = ReadRows(data, block_size, max_chunk);
  // Blocks of 32 KiB hold libFuzzer's inputs (4 KiB unless -max_len says more) whole: a
  // block of 1 MiB is mapped afresh under ASan at every run, and ran 200 inputs a second.
  Result<Rows> big = ReadRows(data, 1 << 15, SIZE_MAX);
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
  return 0;
}
