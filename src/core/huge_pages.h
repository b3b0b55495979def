// HugePageBuffer: zero-filled memory for large tables read at random, in whole 2 MiB pages
// that the kernel is asked to back with transparent huge pages (MADV_HUGEPAGE), so that one
// TLB entry covers 2 MiB instead of 4 KiB. A batch job's key cache is about 100 MB of entries
// and slots, each row looking up a random one: with 4 KiB pages nearly every lookup also
// missed the TLB (and a miss walks the page tables twice over in a virtual machine).
// Where the kernel gives no huge pages, it is ordinary memory. Pages cost memory only once
// touched. Allocation failure throws std::bad_alloc, as a std::vector's would.
//
// HugePageAllocator<T>: the same for a std::vector's storage of 2 MiB or more (smaller ones
// come from std::allocator), for large buffers that are filled once and reused: each 4 KiB
// page touched the first time is a page fault, which costs several microseconds in a virtual
// machine; a 2 MiB page is one fault.
#pragma once

#include <cstddef>
#include <memory>

namespace strm {

// Maps `bytes` rounded up to whole 2 MiB pages, 2 MiB-aligned and zero-filled, asking for huge
// pages; throws std::bad_alloc. Unmap with the same `bytes`.
void* MapHugePages(size_t bytes);
void UnmapHugePages(void* data, size_t bytes);

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

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    if (n * sizeof(T) < HugePageBuffer::kPageSize) return std::allocator<T>().allocate(n);
    return static_cast<T*>(MapHugePages(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) < HugePageBuffer::kPageSize) return std::allocator<T>().deallocate(p, n);
    UnmapHugePages(p, n * sizeof(T));
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace strm
