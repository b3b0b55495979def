#include "core/stream.h"

#include <algorithm>
#include <cstring>

namespace strm {

Result<size_t> StringInputStream::Read(char* buf, size_t n) {
  size_t k = std::min({n, max_chunk_, data_.size() - pos_});
  std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

Status StringOutputStream::Write(std::string_view data) {
  if (is_committed_) return FailedPrecondition("write after commit");
  pending_.append(data);
  return Status::Ok();
}

Status StringOutputStream::Commit() {
  if (is_committed_) return FailedPrecondition("commit called twice");
  committed_ = std::move(pending_);
  pending_.clear();
  is_committed_ = true;
  return Status::Ok();
}

void StringOutputStream::Abort() { pending_.clear(); }

Result<std::string> ReadAll(InputStream& in) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    STRM_ASSIGN_OR_RETURN(size_t n, in.Read(buf, sizeof buf));
    if (n == 0) return out;
    out.append(buf, n);
  }
}

}  // namespace strm
