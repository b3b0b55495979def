#include "core/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <utility>

namespace strm {

namespace {
constexpr size_t kPageSize = HugePageBuffer::kPageSize;
size_t RoundUp(size_t bytes) { return (bytes + kPageSize - 1) / kPageSize * kPageSize; }
}  // namespace

void* MapHugePages(size_t bytes) {
  const size_t size = RoundUp(bytes);
  // Mapped one page larger, then trimmed to a 2 MiB-aligned range: a huge page needs one.
  const size_t mapped = size + kPageSize;
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (base + kPageSize - 1) / kPageSize * kPageSize;
  if (aligned > base) ::munmap(p, aligned - base);
  if (const uintptr_t end = base + mapped; end > aligned + size)
    ::munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  void* data = reinterpret_cast<void*>(aligned);
  (void)::madvise(data, size, MADV_HUGEPAGE);  // a hint: without it, 4 KiB pages
  return data;
}

void UnmapHugePages(void* data, size_t bytes) {
  if (data != nullptr) ::munmap(data, RoundUp(bytes));
}

HugePageBuffer::HugePageBuffer(size_t bytes) {
  if (bytes == 0) return;
  data_ = MapHugePages(bytes);
  size_ = RoundUp(bytes);
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

HugePageBuffer::~HugePageBuffer() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace strm
