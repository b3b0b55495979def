#include "core/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace strm {
namespace {

TEST(HugePageBuffer, WholeAlignedZeroedPages) {
  HugePageBuffer b(1);
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(b.size(), HugePageBuffer::kPageSize) << "rounded up to a whole 2 MiB page";
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % HugePageBuffer::kPageSize, 0u)
      << "a huge page needs a 2 MiB-aligned range";
  const auto* bytes = static_cast<const unsigned char*>(b.data());
  for (size_t i = 0; i < b.size(); i += 4093) ASSERT_EQ(bytes[i], 0) << i;
  std::memset(b.data(), 0xab, b.size());  // all of it is writable
  EXPECT_EQ(HugePageBuffer((5 << 20) + 1).size(), size_t{6} << 20);
  EXPECT_EQ(HugePageBuffer().data(), nullptr);
  EXPECT_EQ(HugePageBuffer(0).size(), 0u);
}

TEST(HugePageBuffer, MovesOwnership) {
  HugePageBuffer a(100);
  static_cast<char*>(a.data())[7] = 'x';
  void* const p = a.data();
  HugePageBuffer b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(b.data(), p);
  HugePageBuffer c(HugePageBuffer::kPageSize * 2);
  c = std::move(b);  // c's own pages are unmapped
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(static_cast<char*>(c.data())[7], 'x');
}

TEST(HugePageAllocator, LargeStorageInAlignedHugePagesSmallFromTheHeap) {
  std::vector<uint64_t, HugePageAllocator<uint64_t>> big;
  big.reserve(HugePageBuffer::kPageSize / sizeof(uint64_t) + 1);  // just over 2 MiB
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.data()) % HugePageBuffer::kPageSize, 0u);
  for (uint64_t i = 0; i < big.capacity(); ++i) big.push_back(i * 7);
  big.push_back(1);  // grows: a new mapping, the values moved, the old one unmapped
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.data()) % HugePageBuffer::kPageSize, 0u);
  for (uint64_t i = 0; i + 1 < big.size(); ++i) ASSERT_EQ(big[i], i * 7) << i;
  EXPECT_EQ(big.back(), 1u);
  std::vector<uint64_t, HugePageAllocator<uint64_t>> small(10, 3);
  small.swap(big);  // equal allocators: storage changes hands
  EXPECT_EQ(big.size(), 10u);
  EXPECT_EQ(big[9], 3u);
  EXPECT_EQ(small[5], 35u);
}

}  // namespace
}  // namespace strm
