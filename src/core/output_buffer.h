// OutputBuffer: a growable byte buffer written through a raw cursor, for hot formatting
// loops. Ensure(n) once for a record's upper bound, write up to n bytes at the returned
// pointer, then Commit(end). Unlike std::string::resize, growing never zero-fills, and the
// capacity is kept across clear(), so a buffer reused for many blocks stops allocating.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace strm {

class OutputBuffer {
 public:
  // A pointer to the end of the data with at least `n` writable bytes after it. Pointers
  // from earlier calls are invalid after this one.
  char* Ensure(size_t n) {
    if (cap_ - size_ < n) Grow(n);
    return data_.get() + size_;
  }
  // Marks the data as ending at `end` (between end() and the last Ensure's limit).
  void Commit(char* end) { size_ = static_cast<size_t>(end - data_.get()); }
  void Append(std::string_view s);

  std::string_view view() const { return {data_.get(), size_}; }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return cap_; }
  void clear() { size_ = 0; }
  void reserve(size_t n) {
    if (n > cap_) Grow(n - size_);
  }

 private:
  void Grow(size_t n);
  std::unique_ptr<char[]> data_;
  size_t size_ = 0, cap_ = 0;
};

}  // namespace strm
