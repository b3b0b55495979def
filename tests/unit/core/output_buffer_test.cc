#include "core/output_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace strm {
namespace {

TEST(OutputBufferTest, WritesThroughTheCursorAndKeepsDataWhenItGrows) {
  OutputBuffer b;
  EXPECT_TRUE(b.empty());
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string record = "row " + std::to_string(i) + "\n";
    char* p = b.Ensure(record.size() + 100);  // more room than used
    std::memcpy(p, record.data(), record.size());
    b.Commit(p + record.size());
    expected += record;
  }
  EXPECT_EQ(b.view(), expected);
  EXPECT_EQ(b.size(), expected.size());
  b.Append("tail");
  EXPECT_EQ(b.view(), expected + "tail");
}

TEST(OutputBufferTest, ClearKeepsTheCapacity) {
  OutputBuffer b;
  b.reserve(4096);
  const size_t cap = b.capacity();
  EXPECT_GE(cap, 4096u);
  b.Append(std::string(3000, 'x'));
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), cap);
  b.Append("again");
  EXPECT_EQ(b.view(), "again");
  EXPECT_EQ(b.capacity(), cap);
}

}  // namespace
}  // namespace strm
