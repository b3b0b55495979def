#include "core/decimal_memo.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace strm {
namespace {

std::string ToChars(int64_t v) {
  char buf[24];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

std::string Written(DecimalMemo& memo, int64_t v) {
  char buf[DecimalMemo::kMaxSize];
  return std::string(buf, memo.Write(v, buf));
}

TEST(DecimalMemo, WritesWhatToCharsWrites) {
  DecimalMemo memo;
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> values = {0,
                                 1,
                                 9,
                                 10,
                                 99999,
                                 100000,
                                 100001,
                                 199999,
                                 200000,
                                 -1,
                                 -100000,
                                 -123456789,
                                 max,
                                 max - 1,
                                 min,
                                 min + 1,
                                 1644126192962,
                                 1644126192962,
                                 1644126199999,
                                 1644126200000,
                                 1644126200001,
                                 1644126192962};
  // Timestamps in order (the memo's case), then jumping about (its misses).
  for (int64_t t = 1644126192962; t < 1644126192962 + 300000; t += 997) values.push_back(t);
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 2000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    values.push_back(static_cast<int64_t>(x >> (i % 64)));
    values.push_back(-static_cast<int64_t>(x >> (1 + i % 63)));
  }
  for (int64_t v : values) EXPECT_EQ(Written(memo, v), ToChars(v)) << v;
}

TEST(DecimalMemo, WritesNothingPastTheRoomItNeeds) {
  DecimalMemo memo;
  char buf[DecimalMemo::kMaxSize + 4];
  std::memset(buf, '#', sizeof buf);
  char* end = memo.Write(std::numeric_limits<int64_t>::max(), buf);
  EXPECT_EQ(std::string(buf, end), "9223372036854775807");
  EXPECT_EQ(std::string(buf + DecimalMemo::kMaxSize, 4), "####");
}

}  // namespace
}  // namespace strm
