// Streaming CSV (RFC 4180) in two steps, so that parsing can run on worker threads:
//   CsvBlockReader (one thread) cuts the byte stream into blocks of whole records, a few MiB
//     each, never splitting a quoted field (a newline inside quotes does not end a record);
//   ParseCsvBlock (any thread) splits one block into records and fields.
// Records end with LF or CRLF; fields are separated by ',' and may be quoted with '"',
// a doubled quote inside quotes being one quote. A UTF-8 BOM at the start of the stream is
// dropped. Input must already be UTF-8 (see charset.h); ParseCsvBlock validates it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/stream.h"

namespace strm {

struct CsvBlock {
  std::string data;        // whole records, the last one ending in a newline (or at EOF)
  uint64_t first_row = 0;  // 0-based index of the block's first record in the stream
  uint64_t rows = 0;       // number of records in the block
};

class CsvBlockReader {
 public:
  // `in` must outlive the reader. Blocks hold at least `target_block_size` bytes unless
  // the stream ends (a record longer than that makes a longer block).
  explicit CsvBlockReader(InputStream* in, size_t target_block_size = 4 << 20);

  // The next block; a block with empty `data` means the end of the stream. A quote left
  // open at the end of the stream is an error naming the record where it started.
  Result<CsvBlock> Next();

  uint64_t bytes_read() const { return bytes_read_; }

 private:
  InputStream* in_;
  size_t target_;
  std::string carry_;     // bytes after the last complete record
  uint64_t next_row_ = 0;
  uint64_t bytes_read_ = 0;
  bool eof_ = false;
  bool bom_checked_ = false;
};

// The records of one block. Field views point into the block's data or into this object's
// scratch space (for quoted fields that needed unescaping); they stay valid until the next
// Parse. Reuse one instance per thread to avoid allocation.
class CsvRecords {
 public:
  // Splits `block` into records. Error (naming the record by its 0-based index in the
  // stream, plus one for humans: "row N") for a stray quote inside an unquoted field, text
  // after a closing quote, or invalid UTF-8 when `validate_utf8`.
  Status Parse(const CsvBlock& block, bool validate_utf8);

  size_t size() const { return offsets_.size() - 1; }
  // Fields of record i (0-based within the block).
  std::span<const std::string_view> operator[](size_t i) const {
    return {fields_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }

 private:
  std::vector<std::string_view> fields_;
  std::vector<size_t> offsets_{0};
  std::vector<std::unique_ptr<std::string>> scratch_;  // stable storage for unescaped fields
  size_t scratch_used_ = 0;
};

// Parses one whole small CSV document (e.g. a keys file) into rows of strings.
Result<std::vector<std::vector<std::string>>> ParseCsvDocument(std::string_view text);

}  // namespace strm
