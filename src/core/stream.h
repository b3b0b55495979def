// Byte streams: the only way formats and jobs touch I/O. An object store hands them out;
// tests use the in-memory twins (StringInputStream, StringOutputStream).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace strm {

// A sequential reader. Not thread-safe.
class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to `n` bytes into `buf`; returns the number read, 0 only at the end.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// A sequential writer whose output becomes visible atomically: readers see nothing (or the
// previous object of the same name) until Commit() succeeds, then the whole of it. An
// output destroyed without Commit() is aborted and leaves nothing behind. Not thread-safe.
class OutputStream {
 public:
  virtual ~OutputStream() = default;
  virtual Status Write(std::string_view data) = 0;
  // Makes everything written durable and visible under the final name. Call once.
  virtual Status Commit() = 0;
  // Discards everything written; idempotent, safe after a failed Write or Commit.
  virtual void Abort() = 0;
};

class StringInputStream final : public InputStream {
 public:
  explicit StringInputStream(std::string data, size_t max_chunk = SIZE_MAX)
      : data_(std::move(data)), max_chunk_(max_chunk) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::string data_;
  size_t pos_ = 0;
  size_t max_chunk_;  // lets tests force short reads
};

// Collects writes in memory; `committed()` holds the data only after Commit().
class StringOutputStream final : public OutputStream {
 public:
  Status Write(std::string_view data) override;
  Status Commit() override;
  void Abort() override;
  const std::string& committed() const { return committed_; }
  bool is_committed() const { return is_committed_; }

 private:
  std::string pending_, committed_;
  bool is_committed_ = false;
};

// Reads a whole stream into a string (for small inputs such as config files).
Result<std::string> ReadAll(InputStream& in);

}  // namespace strm
