#include "formats/csv_reader.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "formats/charset.h"

namespace strm {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kMaxReadSize = 4 << 20;
constexpr size_t kMaxReserve = 64 << 20;  // a block's buffer before it grows
constexpr size_t kTailRead = 64 << 10;    // read past the target, to end its last record
constexpr size_t kNone = std::string::npos;

std::string RowError(std::string_view what, uint64_t row) {
  return std::string(what) + " in row " + std::to_string(row);
}

// Offset of the first `c` in buf[from, size), or size.
size_t Find(std::string_view buf, size_t from, char c) {
  const void* p = std::memchr(buf.data() + from, c, buf.size() - from);
  return p ? static_cast<const char*>(p) - buf.data() : buf.size();
}

// How many bytes of `s` are `c`.
uint64_t CountByte(std::string_view s, char c) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t count = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8(c);
  while (n - i >= 16) {
    // Each byte lane counts up to 255 matches before the lanes are summed.
    __m128i lanes = _mm_setzero_si128();
    const size_t steps = std::min<size_t>((n - i) / 16, 255);
    for (size_t k = 0; k < steps; ++k, i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(x, needle));
    }
    const __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());
    count += static_cast<uint64_t>(_mm_cvtsi128_si64(sums)) +
             static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
#endif
  for (; i < n; ++i) count += p[i] == c;
  return count;
}

}  // namespace

struct CsvBlockReader::Cut {
  size_t end = 0;             // end of the last complete record
  uint64_t rows = 0;          // complete records before `end`
  size_t blank_from = kNone;  // start of the run of blank lines that ends at `end`
  uint64_t blank_rows = 0;    // records in that run
  bool too_long = false;      // the record that starts at `end` is over the limit
};

CsvBlockReader::CsvBlockReader(InputStream* in, size_t target_block_size, uint64_t max_record_bytes)
    : in_(in),
      target_(std::max<size_t>(target_block_size, 1)),
      max_record_(std::max<uint64_t>(max_record_bytes, 1)),
      tail_read_(std::min(target_, kTailRead)) {}

// Finds the record ends in buf[scan_pos_, size): newlines outside quoted fields. A quote
// opens a quoted field only at the start of a field, or right after the closing quote (a
// doubled quote leaves and re-enters the quoted state); a stray quote elsewhere is left to
// CsvRecords::Parse to report, rather than swallowing the rest of the stream. memchr finds
// each quote and newline once; the next of each is cached while the other is consumed. Past
// the last quote, CountPlainRecords takes the rest at once.
void CsvBlockReader::Scan(std::string_view buf, Cut& cut) {
  const size_t size = buf.size();
  size_t pos = scan_pos_;
  size_t quote = kNone, newline = kNone;  // next occurrence at or after pos (once searched)
  while (pos < size) {
    if (quote == kNone || quote < pos) quote = Find(buf, pos, '"');
    // Records after the last quote are counted in bulk, unless the bytes they span could
    // hold one over the limit (never with the default limit and block sizes): then each
    // newline is looked at below.
    if (!in_quotes_ && quote == size && size - cut.end <= max_record_) {
      CountPlainRecords(buf, pos, cut);
      break;
    }
    if (in_quotes_) {
      if (quote == size) break;
      in_quotes_ = false;
      last_close_ = quote;
      pos = quote + 1;
      continue;
    }
    if (newline == kNone || newline < pos) newline = Find(buf, pos, '\n');
    if (newline < quote && newline - cut.end > max_record_) {
      cut.too_long = true;
      break;
    }
    if (newline < quote) {
      bool blank = newline == cut.end || (newline == cut.end + 1 && buf[cut.end] == '\r');
      if (!blank) {
        cut.blank_from = kNone;
        cut.blank_rows = 0;
      } else if (cut.blank_rows++ == 0) {
        cut.blank_from = cut.end;
      }
      ++cut.rows;
      cut.end = pos = newline + 1;
    } else if (quote < size) {
      in_quotes_ = quote == cut.end || buf[quote - 1] == ',' || quote == last_close_ + 1;
      pos = quote + 1;
    } else {
      break;
    }
  }
  scan_pos_ = size;
}

// The records of buf[pos, size), which holds no quote (the common case): every newline ends
// one. The newlines are counted 16 bytes at a time (a memchr call per record was 1.3% of a
// batch job); of the blank lines, only the run that ends the records matters to the Cut,
// and it is found from the back.
void CsvBlockReader::CountPlainRecords(std::string_view buf, size_t pos, Cut& cut) {
  const void* last = memrchr(buf.data() + pos, '\n', buf.size() - pos);
  if (last == nullptr) return;
  const size_t end = static_cast<size_t>(static_cast<const char*>(last) - buf.data()) + 1;
  // [cut.end, pos) holds no newline (it was scanned before): the records are [cut.end, end).
  const uint64_t records = CountByte(buf.substr(pos, end - pos), '\n');
  const size_t first = cut.end;
  uint64_t blanks = 0;
  size_t blank_from = end;
  for (size_t nl = end - 1;;) {  // the newline that ends the line looked at
    size_t start;
    if (nl == first || buf[nl - 1] == '\n') {
      start = nl;  // an empty line
    } else if (buf[nl - 1] == '\r' && (nl - 1 == first || buf[nl - 2] == '\n')) {
      start = nl - 1;  // "\r\n" alone
    } else {
      break;
    }
    ++blanks;
    blank_from = start;
    if (start == first) break;
    nl = start - 1;
  }
  if (blanks == records) {  // all blank: the run goes on from the records before
    if (cut.blank_rows == 0) cut.blank_from = first;
    cut.blank_rows += blanks;
  } else {
    cut.blank_from = blanks == 0 ? kNone : blank_from;
    cut.blank_rows = blanks;
  }
  cut.rows += records;
  cut.end = end;
}

void CsvBlockReader::Rewind(std::string buf) {
  carry_ = std::move(buf);
  scan_pos_ = 0;
  in_quotes_ = false;
  last_close_ = kNone;
}

Result<CsvBlock> CsvBlockReader::Next() {
  if (!failed_.ok()) return failed_;
  // The bytes are read into memory that is not zero-filled first (the read overwrites it:
  // zero-filling every byte of the input was 1.5% of a batch job), sized for the whole block,
  // which then owns it.
  size_t capacity = std::max(std::min(target_, kMaxReserve), carry_.size()) + tail_read_;
  auto bytes = std::make_unique_for_overwrite<char[]>(capacity);
  size_t size = carry_.size();
  std::memcpy(bytes.get(), carry_.data(), size);
  carry_.clear();
  auto buf = [&] { return std::string_view(bytes.get(), size); };
  Cut cut;
  for (;;) {
    if (!bom_checked_ && (size >= kBom.size() || eof_ || buf() != kBom.substr(0, size))) {
      if (buf().starts_with(kBom)) {
        size -= kBom.size();
        std::memmove(bytes.get(), bytes.get() + kBom.size(), size);
      }
      bom_checked_ = true;
    }
    if (bom_checked_) Scan(buf(), cut);
    // A record over the limit, ended or not: no more is read.
    if (cut.too_long || size - cut.end > max_record_) {
      failed_ = InvalidArgument(RowError(
          "record longer than max_record_bytes (" + std::to_string(max_record_) + " bytes)",
          next_row_ + cut.rows));
      if (cut.end == 0) return failed_;
      // The records before it first (blank lines included: more follows them), so that
      // errors come in stream order.
      CsvBlock block;
      block.first_row = next_row_;
      block.rows = cut.rows;
      std::shared_ptr<const char[]> owner(std::move(bytes));
      block.data = std::string_view(owner.get(), cut.end);
      block.storage = std::move(owner);
      next_row_ += cut.rows;
      return block;
    }
    if (eof_) break;
    // Blank lines at the end stay in the carry until it is known whether more records follow.
    if ((cut.blank_from == kNone ? cut.end : cut.blank_from) >= target_) break;
    // Up to the target, and a little past it for the record that crosses it: one read a
    // block, and the carry to the next block is part of one record.
    const size_t want = std::min((size < target_ ? target_ - size : 0) + tail_read_, kMaxReadSize);
    if (capacity - size < want) {
      capacity = std::max(2 * capacity, size + want);
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      std::memcpy(grown.get(), bytes.get(), size);
      bytes = std::move(grown);
    }
    Result<size_t> n = in_->Read(bytes.get() + size, want);
    if (!n.ok()) {
      Rewind(std::string(buf()));
      return n.status();
    }
    size += *n;
    bytes_read_ += *n;
    if (*n == 0) eof_ = true;
  }

  CsvBlock block;
  block.first_row = next_row_;
  auto take = [&](size_t end) {  // the block is bytes[0, end)
    std::shared_ptr<const char[]> owner(std::move(bytes));
    block.data = std::string_view(owner.get(), end);
    block.storage = std::move(owner);
  };
  if (eof_) {
    if (in_quotes_ && cut.end == 0) {
      Rewind(std::string(buf()));  // the same error again on a later call
      return InvalidArgument(RowError("unterminated quoted field", next_row_));
    }
    if (in_quotes_) {
      // The records before the open quote first, so that errors come in stream order
      // whatever the block size; the next call reports the quote.
      Rewind(std::string(buf().substr(cut.end)));
      take(cut.end);
      block.rows = cut.rows;
      next_row_ += cut.rows;
      return block;
    }
    if (cut.end < size) {  // a last record without a newline
      ++cut.rows;
      cut.end = size;
      cut.blank_from = kNone;
      cut.blank_rows = 0;
    }
    scan_pos_ = 0;
    last_close_ = kNone;
  }
  size_t end = cut.end;
  if (cut.blank_from != kNone) {  // rescanned next time, or dropped at the end of the stream
    end = cut.blank_from;
    cut.rows -= cut.blank_rows;
    scan_pos_ = 0;
    in_quotes_ = false;
    last_close_ = kNone;
  } else if (!eof_) {
    scan_pos_ -= end;
    last_close_ = last_close_ != kNone && last_close_ >= end ? last_close_ - end : kNone;
  }
  if (!eof_) carry_.assign(buf().substr(end));
  take(end);
  block.rows = cut.rows;
  next_row_ += cut.rows;
  return block;
}

namespace {

// Bytes that end an unquoted field, or are not allowed in one.
constexpr std::array<bool, 256> kUnquotedStop = [] {
  std::array<bool, 256> t{};
  t[','] = t['\n'] = t['"'] = true;
  return t;
}();

// The high bit of each byte of `x` that equals `c`, with false positives only above a
// true match, so the lowest set bit is exact.
constexpr uint64_t MatchBytes(uint64_t x, char c) {
  uint64_t y = x ^ (0x0101010101010101ULL * static_cast<unsigned char>(c));
  return (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
}

// The first ',', '\n' or '"' in [p, end), or end; eight bytes at a time.
const char* FindUnquotedStop(const char* p, const char* end) {
  if constexpr (std::endian::native == std::endian::little) {
    while (end - p >= 8) {
      uint64_t x;
      std::memcpy(&x, p, 8);
      uint64_t m = MatchBytes(x, ',') | MatchBytes(x, '\n') | MatchBytes(x, '"');
      if (m != 0) return p + (std::countr_zero(m) >> 3);
      p += 8;
    }
  }
  while (p < end && !kUnquotedStop[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

}  // namespace

Status CsvRecords::Parse(const CsvBlock& block, bool validate_utf8) {
  fields_.clear();
  offsets_.clear();
  offsets_.push_back(0);
  scratch_.clear();
  const std::string_view data = block.data;
  ascii_ = false;
  plain_ = true;
  if (data.empty()) return Status::Ok();  // (its data() may be null, which memchr must not get)
  if (scratch_.capacity() < data.size()) scratch_.reserve(data.size());
  if (!validate_utf8 && ParsePlainOnePass(data)) return Status::Ok();
  fields_.clear();
  offsets_.resize(1);
  const size_t bad_utf8 = validate_utf8 ? FindInvalidUtf8(data) : kNone;
  // Two memchr scans (find_first_of would call memchr once per byte of the block).
  plain_ = std::memchr(data.data(), '"', data.size()) == nullptr &&
           std::memchr(data.data(), '\r', data.size()) == nullptr;
  if (plain_) return ParsePlain(block, bad_utf8);

  const char* const begin = data.data();
  const char* const end = begin + data.size();
  const char* p = begin;
  uint64_t row = block.first_row;
  while (p < end) {
    bool record_done = false;
    while (!record_done) {
      if (p < end && *p == '"') {
        const char* start = ++p;
        size_t escaped_from = kNone;  // where the field starts in scratch_ once unescaped
        std::string_view field;
        for (;;) {
          auto* q = static_cast<const char*>(std::memchr(p, '"', end - p));
          if (q == nullptr) return InvalidArgument(RowError("unterminated quoted field", row));
          if (q + 1 < end && q[1] == '"') {
            if (escaped_from == kNone) escaped_from = scratch_.size();
            scratch_.append(p, q + 1);  // keeps one of the two quotes
            p = q + 2;
            continue;
          }
          if (escaped_from == kNone) {
            field = std::string_view(start, q - start);
          } else {
            scratch_.append(p, q);
            field = std::string_view(scratch_).substr(escaped_from);
          }
          p = q + 1;
          break;
        }
        fields_.push_back(field);
        if (p == end) {
          record_done = true;
        } else if (*p == ',') {
          ++p;
        } else if (*p == '\n') {
          ++p;
          record_done = true;
        } else if (*p == '\r' && p + 1 < end && p[1] == '\n') {
          p += 2;
          record_done = true;
        } else {
          return InvalidArgument(RowError("unexpected character after closing quote", row));
        }
      } else {
        const char* start = p;
        p = FindUnquotedStop(p, end);
        if (p == end) {
          fields_.emplace_back(start, p - start);
          record_done = true;
        } else if (*p == ',') {
          fields_.emplace_back(start, p - start);
          ++p;
        } else if (*p == '\n') {
          const char* field_end = p > start && p[-1] == '\r' ? p - 1 : p;
          fields_.emplace_back(start, field_end - start);
          ++p;
          record_done = true;
        } else {
          return InvalidArgument(RowError("unexpected quote in unquoted field", row));
        }
      }
    }
    if (bad_utf8 < static_cast<size_t>(p - begin)) {
      return InvalidArgument(RowError("invalid UTF-8", row));
    }
    offsets_.push_back(fields_.size());
    ++row;
  }
  return Status::Ok();
}

// The engine's common case in one pass: the separators, newlines, quotes, CRs and high bits
// of 64 bytes come out of SSE2 compares as bit masks; the first quote or CR gives up.
bool CsvRecords::ParsePlainOnePass(std::string_view data) {
  const char* const begin = data.data();
  const size_t n = data.size();
  if (n == 0 || begin[n - 1] != '\n') return false;  // a last record without LF: the other path
  size_t field_start = 0;
  uint64_t high = 0;  // bytes >= 0x80 seen
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(','), newline = _mm_set1_epi8('\n');
  const __m128i quote = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r');
  alignas(16) char tail[64];
  for (size_t i = 0; i < n; i += 64) {
    const char* chunk = begin + i;
    if (n - i < 64) {  // the last bytes, padded with NULs (neither separators nor special)
      std::memset(tail, 0, sizeof tail);
      std::memcpy(tail, chunk, n - i);
      chunk = tail;
    }
    uint64_t sep = 0, nl = 0;
    uint32_t special = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk + 16 * k));
      const __m128i is_nl = _mm_cmpeq_epi8(x, newline);
      const auto shift = static_cast<unsigned>(16 * k);
      sep |= static_cast<uint64_t>(static_cast<uint32_t>(
                 _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, comma), is_nl))))
             << shift;
      nl |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(is_nl))) << shift;
      special |= static_cast<uint32_t>(
          _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, cr))));
      high |= static_cast<uint32_t>(_mm_movemask_epi8(x));
    }
    if (special != 0) return false;
    for (; sep != 0; sep &= sep - 1) {
      const auto bit = static_cast<unsigned>(std::countr_zero(sep));
      const size_t at = i + bit;
      fields_.emplace_back(begin + field_start, at - field_start);
      field_start = at + 1;
      if ((nl >> bit) & 1) offsets_.push_back(fields_.size());
    }
  }
#else
  for (size_t i = 0; i < n; ++i) {
    const char c = begin[i];
    if (c == '"' || c == '\r') return false;
    high |= static_cast<unsigned char>(c) >> 7;
    if (c == ',' || c == '\n') {
      fields_.emplace_back(begin + field_start, i - field_start);
      field_start = i + 1;
      if (c == '\n') offsets_.push_back(fields_.size());
    }
  }
#endif
  ascii_ = high == 0;
  return true;
}

// With no quotes and no CRs, a field ends at every ',' and a record at every LF: the
// separators of 16 bytes at a time come out of one SSE2 compare as a bit mask.
Status CsvRecords::ParsePlain(const CsvBlock& block, size_t bad_utf8) {
  const char* const begin = block.data.data();
  const size_t n = block.data.size();
  uint64_t row = block.first_row;
  size_t field_start = 0;
  auto separator = [&](size_t at) -> Status {
    fields_.emplace_back(begin + field_start, at - field_start);
    field_start = at + 1;
    if (begin[at] == '\n') {
      if (bad_utf8 <= at) return InvalidArgument(RowError("invalid UTF-8", row));
      offsets_.push_back(fields_.size());
      ++row;
    }
    return Status::Ok();
  };
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(','), newline = _mm_set1_epi8('\n');
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(begin + i));
    auto mask = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, newline))));
    for (; mask != 0; mask &= mask - 1) STRM_RETURN_IF_ERROR(separator(i + std::countr_zero(mask)));
  }
#endif
  for (; i < n; ++i)
    if (begin[i] == ',' || begin[i] == '\n') STRM_RETURN_IF_ERROR(separator(i));
  if (n > 0 && begin[n - 1] != '\n') {  // the last record, without a newline at the end
    fields_.emplace_back(begin + field_start, n - field_start);
    if (bad_utf8 < n) return InvalidArgument(RowError("invalid UTF-8", row));
    offsets_.push_back(fields_.size());
  }
  return Status::Ok();
}

Result<std::vector<std::vector<std::string>>> ParseCsvDocument(std::string_view text) {
  StringInputStream in{std::string(text)};
  CsvBlockReader reader(&in, text.size() + 1);
  CsvRecords records;
  std::vector<std::vector<std::string>> rows;
  for (;;) {
    STRM_ASSIGN_OR_RETURN(CsvBlock block, reader.Next());
    if (block.data.empty()) return rows;
    STRM_RETURN_IF_ERROR(records.Parse(block, /*validate_utf8=*/true));
    for (size_t i = 0; i < records.size(); ++i) {
      rows.emplace_back(records[i].begin(), records[i].end());
    }
  }
}

}  // namespace strm
