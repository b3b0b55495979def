#include "core/output_buffer.h"

#include <algorithm>
#include <cstring>

namespace strm {

void OutputBuffer::Grow(size_t n) {
  const size_t cap = std::max(size_ + n, cap_ * 2);
  std::unique_ptr<char[]> bigger(new char[cap]);  // uninitialised, unlike a string's resize
  if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
  data_ = std::move(bigger);
  cap_ = cap;
}

void OutputBuffer::Append(std::string_view s) {
  char* p = Ensure(s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  Commit(p + s.size());
}

}  // namespace strm
