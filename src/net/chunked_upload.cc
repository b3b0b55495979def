#include "net/chunked_upload.h"

#include <algorithm>

#include "net/run_async.h"

namespace strm {

ChunkedUpload::ChunkedUpload(std::unique_ptr<UploadProtocol> protocol, size_t part_size,
                             int max_parts, std::string what)
    : protocol_(std::move(protocol)),
      part_size_(std::max<size_t>(part_size, 1)),
      max_parts_(max_parts),
      what_(std::move(what)) {}

ChunkedUpload::~ChunkedUpload() { Abort(); }

Status ChunkedUpload::CheckOpen() const {
  switch (state_) {
    case State::kOpen:
      return Status::Ok();
    case State::kFailed:
      return FailedPrecondition(failure_.message());
    case State::kCommitted:
      return FailedPrecondition(what_ + ": the output was committed already");
    case State::kAborted:
      break;
  }
  return FailedPrecondition(what_ + ": the output was aborted");
}

// A failure aborts the upload at once; it sticks.
Status ChunkedUpload::Fail(Status s) {
  if (s.ok()) return s;
  Abort();
  state_ = State::kFailed;
  failure_ = s;
  return s;
}

Status ChunkedUpload::CheckPartLimit() const {
  if (parts_ < max_parts_) return Status::Ok();
  return InvalidArgument(what_ + ": more than " + std::to_string(max_parts_) + " parts of " +
                         std::to_string(part_size_) + " bytes; raise the part size");
}

Status ChunkedUpload::WaitForPart() {
  if (!inflight_.valid()) return Status::Ok();
  return inflight_.get();
}

// Grows the buffer by doubling, never beyond one part.
void ChunkedUpload::Reserve(size_t need) {
  if (buf_.capacity() >= need) return;
  size_t cap = parts_ == 0 ? std::max({need, buf_.capacity() * 2, size_t{64} << 10}) : part_size_;
  buf_.reserve(std::min(std::max(cap, need), part_size_));
}

// Sends the full buffer as the next part, on a thread of its own, once the one before is in.
Status ChunkedUpload::SendFullPart() {
  if (!started_) {
    STRM_RETURN_IF_ERROR(protocol_->Start());
    started_ = true;
  }
  STRM_RETURN_IF_ERROR(WaitForPart());
  STRM_RETURN_IF_ERROR(CheckPartLimit());
  const int number = ++parts_;
  const uint64_t offset = sent_;
  sent_ += buf_.size();
  inflight_ = RunAsync([p = protocol_.get(), number, offset, data = std::move(buf_)] {
    return p->SendPart(number, offset, data, /*last=*/false);
  });
  buf_ = std::string();
  return Status::Ok();
}

Status ChunkedUpload::Write(std::string_view data) {
  STRM_RETURN_IF_ERROR(CheckOpen());
  while (!data.empty()) {
    if (buf_.size() == part_size_) STRM_RETURN_IF_ERROR(Fail(SendFullPart()));
    const size_t take = std::min(data.size(), part_size_ - buf_.size());
    Reserve(buf_.size() + take);
    buf_.append(data.substr(0, take));
    data.remove_prefix(take);
  }
  return Status::Ok();
}

Status ChunkedUpload::Commit() {
  STRM_RETURN_IF_ERROR(CheckOpen());
  if (!started_) {
    STRM_RETURN_IF_ERROR(Fail(protocol_->PutWhole(buf_)));
  } else {
    STRM_RETURN_IF_ERROR(Fail(WaitForPart()));
    STRM_RETURN_IF_ERROR(Fail(CheckPartLimit()));
    const uint64_t size = sent_ + buf_.size();
    STRM_RETURN_IF_ERROR(Fail(protocol_->SendPart(++parts_, sent_, buf_, /*last=*/true)));
    sent_ = size;
    STRM_RETURN_IF_ERROR(Fail(protocol_->Finish(size)));
  }
  state_ = State::kCommitted;
  buf_ = std::string();
  return Status::Ok();
}

void ChunkedUpload::Abort() {
  if (state_ != State::kOpen) return;
  state_ = State::kAborted;
  if (inflight_.valid()) (void)inflight_.get();  // a part sent after the abort would linger
  buf_ = std::string();
  if (started_) protocol_->Abort();
  started_ = false;
}

}  // namespace strm
