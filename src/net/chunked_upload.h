// ChunkedUpload: the OutputStream of every remote store. It fills fixed-size parts and sends
// each on a thread of its own while the next one fills, so at most two parts are in memory
// (the one being sent and the one filling); the store's protocol fills in the hooks:
//
//                    S3                        GCS                       Azure Blob
//   PutWhole         PutObject                 uploadType=media POST     Put Blob
//   Start            CreateMultipartUpload     open a resumable session  (nothing)
//   SendPart         UploadPart                PUT a chunk to the session Put Block
//   Finish           CompleteMultipartUpload   (the last chunk did it)   Put Block List
//   Abort            AbortMultipartUpload      cancel the session        (nothing: Azure drops
//                                                                        uncommitted blocks)
//
// A full part goes out only once more data follows, so an object of at most one part is a
// single PutWhole at Commit(), and the last part of a larger one (never empty) is sent by
// Commit() with `last` set, then Finish. Nothing is visible under the object's name before
// Commit() succeeds. Abort(), destruction without Commit(), and any failure (of a Write, of a
// part in flight, of Commit) wait for the part in flight and call Abort once, so a failed
// upload leaves nothing behind as far as the store allows. After a failure every Write and
// Commit returns kFailedPrecondition with the failure's message ("the failure sticks").
//
// Not thread-safe (one writer, as OutputStream); the hooks are called from the writer's thread
// and, for SendPart, from one background thread at a time, never two hooks at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "core/stream.h"

namespace strm {

// A store's side of a chunked upload. Each hook names its request in its errors.
class UploadProtocol {
 public:
  virtual ~UploadProtocol() = default;
  // The whole object, at most one part, in one request that makes it visible.
  virtual Status PutWhole(std::string_view data) = 0;
  // Called once, before the first part.
  virtual Status Start() = 0;
  // Part `number` (from 1): bytes [offset, offset + data.size()) of the object. Parts come in
  // order, each after the one before succeeded; all but the last are exactly part_size bytes.
  // `last` is set for the last part, whose end is the object's size.
  virtual Status SendPart(int number, uint64_t offset, std::string_view data, bool last) = 0;
  // After the last part: makes the object of `size` bytes visible.
  virtual Status Finish(uint64_t size) = 0;
  // Drops what was sent since Start; best effort, it cannot fail. Called at most once, only
  // after Start, never while a part is in flight.
  virtual void Abort() = 0;
};

class ChunkedUpload final : public OutputStream {
 public:
  // `what` names the object in the upload's own messages ("S3 PUT s3://b/k"); at most
  // `max_parts` parts (S3 10,000, Azure 50,000).
  ChunkedUpload(std::unique_ptr<UploadProtocol> protocol, size_t part_size, int max_parts,
                std::string what);
  ~ChunkedUpload() override;
  ChunkedUpload(const ChunkedUpload&) = delete;
  ChunkedUpload& operator=(const ChunkedUpload&) = delete;

  Status Write(std::string_view data) override;
  Status Commit() override;
  void Abort() override;

 private:
  enum class State { kOpen, kCommitted, kAborted, kFailed };

  Status CheckOpen() const;
  Status Fail(Status s);
  Status CheckPartLimit() const;
  Status WaitForPart();
  Status SendFullPart();
  void Reserve(size_t need);

  const std::unique_ptr<UploadProtocol> protocol_;
  const size_t part_size_;
  const int max_parts_;
  const std::string what_;
  State state_ = State::kOpen;
  Status failure_;
  std::string buf_;               // the part filling: bytes [sent_, sent_ + buf_.size())
  uint64_t sent_ = 0;             // bytes handed to parts so far
  int parts_ = 0;                 // parts handed out so far
  bool started_ = false;          // Start succeeded
  std::future<Status> inflight_;  // the part being sent
};

}  // namespace strm
