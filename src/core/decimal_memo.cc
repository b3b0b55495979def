#include "core/decimal_memo.h"

#include <charconv>
#include <cstring>

namespace strm {
namespace {

constexpr int64_t kLow = 100000;  // the digits formatted every time: five

constexpr char kPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

}  // namespace

char* DecimalMemo::Write(int64_t v, char* out) {
  if (v < kLow) return std::to_chars(out, out + kMaxSize, v).ptr;  // negative or short
  const int64_t high = v / kLow;
  if (high != high_) {
    high_ = high;
    size_ = static_cast<int>(std::to_chars(text_, text_ + kMaxSize, high).ptr - text_);
  }
  std::memcpy(out, text_, kMaxSize - 5);  // fixed size (no call); the room allows it
  out += size_;
  const auto low = static_cast<uint32_t>(v - high * kLow);  // 00000-99999
  out[0] = static_cast<char>('0' + low / 10000);
  const uint32_t rest = low % 10000;
  std::memcpy(out + 1, kPairs + 2 * (rest / 100), 2);
  std::memcpy(out + 3, kPairs + 2 * (rest % 100), 2);
  return out + 5;
}

}  // namespace strm
