// Streaming CSV (RFC 4180) in two steps, so that parsing can run on worker threads:
//   CsvBlockReader (one thread) cuts the byte stream into blocks of whole records, a few MiB
//     each, never splitting a quoted field (a newline inside quotes does not end a record);
//   CsvRecords::Parse (any thread) splits one block into records and fields.
// Records end with LF or CRLF; fields are separated by ',' and may be quoted with '"',
// a doubled quote inside quotes being one quote. A UTF-8 BOM at the start of the stream is
// dropped. Input must already be UTF-8 (see charset.h); CsvRecords::Parse validates it.
// A blank line ("\n" or "\r\n") is a record of one empty field, except at the end of the
// stream, where blank lines are not records. A CR not followed by LF is data.
//
// Rows in error messages ("... in row N") are numbered by the record's 0-based index in the
// stream, so with a header record N is the 1-based number of the data row (the header being
// row 0).
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

// The default limit on one record's size (SPEC §2 max_record_bytes): 16 MiB.
inline constexpr uint64_t kDefaultMaxRecordBytes = uint64_t{16} << 20;

struct CsvBlock {
  // Whole records, the last one ending in a newline (or at EOF). The bytes are `storage`'s
  // in a block from the reader; a block made by hand may point at bytes its maker keeps.
  std::string_view data;
  uint64_t first_row = 0;  // 0-based index of the block's first record in the stream
  uint64_t rows = 0;       // number of records in the block
  std::shared_ptr<const char[]> storage = nullptr;
};

class CsvBlockReader {
 public:
  // `in` must outlive the reader. Blocks hold at least `target_block_size` bytes unless
  // the stream ends, and end at the last record end of the bytes read so far (reads go to
  // the target and min(target, 64 KiB) past it), so a block exceeds the target by at most
  // about 64 KiB, or by a record longer than that. No record may be longer than
  // `max_record_bytes` (its bytes before the LF that ends it), so the reader holds at most
  // about twice that, plus a block, whatever the input: one huge quoted field, no newline.
  explicit CsvBlockReader(InputStream* in, size_t target_block_size = 4 << 20,
                          uint64_t max_record_bytes = kDefaultMaxRecordBytes);

  // The next block; a block with empty `data` means the end of the stream. A quote left
  // open at the end of the stream ("unterminated quoted field in row N", naming the record
  // where it started) and a record over the limit ("record longer than max_record_bytes
  // (16777216 bytes) in row N") are errors returned after a block of the records before
  // them, so that errors come in stream order whatever the block size; once one is
  // returned, every later call returns it again.
  Result<CsvBlock> Next();

  uint64_t bytes_read() const { return bytes_read_; }

 private:
  struct Cut;  // where the records found so far end
  void Scan(std::string_view buf, Cut& cut);
  void CountPlainRecords(std::string_view buf, size_t pos, Cut& cut);
  void Rewind(std::string buf);  // keeps `buf` to be scanned again by the next call

  InputStream* in_;
  size_t target_;
  uint64_t max_record_;
  Status failed_;  // the error every call returns, once a record was too long
  size_t tail_read_;
  std::string carry_;       // bytes after the last complete record
  size_t scan_pos_ = 0;     // bytes of carry_ already scanned for quotes and newlines
  bool in_quotes_ = false;  // the state of the scan at scan_pos_
  size_t last_close_ = std::string::npos;  // offset in carry_ of the last closing quote
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
  // Splits `block` into records. InvalidArgument naming the row (see above) for a quote
  // inside an unquoted field ("unexpected quote in unquoted field in row N"), text after a
  // closing quote ("unexpected character after closing quote in row N"), a quote left open
  // ("unterminated quoted field in row N") or invalid UTF-8 when `validate_utf8` ("invalid
  // UTF-8 in row N"). After an error the records are unspecified.
  Status Parse(const CsvBlock& block, bool validate_utf8);

  size_t size() const { return offsets_.size() - 1; }
  // Whether the last parsed block held no '"' and no CR: then no field contains ',', '"',
  // CR or LF, and only ',' and LF were separators (the common case, split with SIMD, and
  // without UTF-8 validation in the same pass that finds it plain; writers can skip their
  // quoting checks).
  bool plain() const { return plain_; }
  // Whether the last block, parsed without UTF-8 validation, was plain and all ASCII (then
  // it is valid UTF-8): found in the same pass, so callers need not scan it again.
  bool ascii() const { return ascii_; }
  // Fields of record i (0-based within the block).
  std::span<const std::string_view> operator[](size_t i) const {
    return {fields_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }

 private:
  Status ParsePlain(const CsvBlock& block, size_t bad_utf8);
  // One pass over a block that ends with LF: splits it if it holds no '"' and no CR (false
  // otherwise, with records left to clear), and notes whether it is all ASCII.
  bool ParsePlainOnePass(std::string_view data);

  std::vector<std::string_view> fields_;
  std::vector<size_t> offsets_{0};
  // Unescaped fields. Reserved to the block's size before parsing (unescaping only
  // shrinks), so it never reallocates while views into it exist.
  std::string scratch_;
  bool plain_ = false;
  bool ascii_ = false;
};

// Parses one whole small CSV document (e.g. a keys file) into rows of strings, by the same
// rules (BOM, blank lines, UTF-8 validation, errors).
Result<std::vector<std::vector<std::string>>> ParseCsvDocument(std::string_view text);

}  // namespace strm
