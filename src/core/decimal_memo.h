// DecimalMemo: the decimal text of int64 values, for sequences in which consecutive values
// mostly share all but their last five digits (a file's timestamps in milliseconds, one
// output row each). The shared leading digits are formatted once and copied; the rest go
// through a two-digit table. Exactly std::to_chars' text for every value. Not thread-safe:
// one per thread.
#pragma once

#include <cstdint>

namespace strm {

class DecimalMemo {
 public:
  static constexpr int kMaxSize = 20;  // "-9223372036854775808"

  // Writes `v` at `out` (kMaxSize bytes of room); returns the end.
  char* Write(int64_t v, char* out);

 private:
  int64_t high_ = -1;  // v / 100000 of the memo; -1: none
  char text_[kMaxSize] = {};
  int size_ = 0;
};

}  // namespace strm
