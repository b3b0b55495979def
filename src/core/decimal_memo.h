// DecimalMemo: the decimal text of int64 values, for sequences in which consecutive values
// mostly share all but their last five digits (a file's timestamps in milliseconds, one
// output row each). The shared leading digits are formatted once and copied; the rest go
// through a two-digit table. Exactly std::to_chars' text for every value. Not thread-safe:
// one per thread.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>

namespace strm {

class DecimalMemo {
 public:
  static constexpr int kMaxSize = 20;  // "-9223372036854775808"

  // Writes `v` at `out` (kMaxSize bytes of room); returns the end. Inline: called once per
  // output row.
  char* Write(int64_t v, char* out) {
    if (v < kLow) return std::to_chars(out, out + kMaxSize, v).ptr;  // negative or short
    const int64_t high = v / kLow;
    if (high != high_) {
      high_ = high;
      size_ = static_cast<int>(std::to_chars(text_, text_ + kMaxSize, high).ptr - text_);
    }
    // The memo's digits, then the low ones after them, all stored at `out`: built elsewhere
    // and copied, bytes just stored would be read back as a block and stall its load.
    if (size_ > 14) __builtin_unreachable();  // v / 100000 < 10^14: tells the compiler
    std::memcpy(out, text_, 16);              // fixed size (no call); the room allows it
    char* low_text = out + size_;
    const auto low = static_cast<uint32_t>(v - high * kLow);  // 00000-99999
    low_text[0] = static_cast<char>('0' + low / 10000);
    const uint32_t rest = low % 10000;
    std::memcpy(low_text + 1, kPairs + 2 * (rest / 100), 2);
    std::memcpy(low_text + 3, kPairs + 2 * (rest % 100), 2);
    return out + size_ + 5;
  }

 private:
  static constexpr int64_t kLow = 100000;  // the digits formatted every time: five
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";

  int64_t high_ = -1;         // v / 100000 of the memo; -1: none
  char text_[kMaxSize] = {};  // the digits of v / 100000
  int size_ = 0;
};

}  // namespace strm
