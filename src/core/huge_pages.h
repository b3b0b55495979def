// HugePageBuffer: zero-filled memory for large tables read at random, in whole 2 MiB pages
// that the kernel is asked to back with transparent huge pages (MADV_HUGEPAGE), so that one
// TLB entry covers 2 MiB instead of 4 KiB. A batch job's key cache is about 100 MB of entries
// and slots, each row looking up a random one: with 4 KiB pages nearly every lookup also
// missed the TLB (and a miss walks the page tables twice over in a virtual machine).
// Where the kernel gives no huge pages, it is ordinary memory. Pages cost memory only once
// touched. Allocation failure throws std::bad_alloc, as a std::vector's would.
#pragma once

#include <cstddef>

namespace strm {

class HugePageBuffer {
 public:
  static constexpr size_t kPageSize = size_t{2} << 20;

  HugePageBuffer() = default;
  explicit HugePageBuffer(size_t bytes);  // rounded up to whole 2 MiB pages
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  ~HugePageBuffer();

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace strm
