#include "net/ranged_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include "net/http_status.h"
#include "net/run_async.h"

namespace strm {
namespace {

std::optional<uint64_t> ParseNumber(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct ContentRange {
  uint64_t first = 0, last = 0, total = 0;
};

// "Content-Range: bytes a-b/total".
std::optional<ContentRange> ParseContentRange(const HttpResponse& r) {
  const std::string* h = r.FindHeader("content-range");
  if (h == nullptr) return std::nullopt;
  std::string_view v = *h;
  if (v.substr(0, 6) != "bytes ") return std::nullopt;
  v.remove_prefix(6);
  const size_t dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash)
    return std::nullopt;
  auto first = ParseNumber(v.substr(0, dash));
  auto last = ParseNumber(v.substr(dash + 1, slash - dash - 1));
  auto total = ParseNumber(v.substr(slash + 1));
  if (!first || !last || !total || *first > *last || *last >= *total) return std::nullopt;
  return ContentRange{*first, *last, *total};
}

class RangedReader final : public InputStream {
 public:
  RangedReader(std::shared_ptr<RangeSource> source, RangedReaderOptions options)
      : source_(std::move(source)),
        o_(std::move(options)),
        chunk_(std::max<size_t>(o_.chunk_size, 1)) {}
  ~RangedReader() override {
    cancelled_ = true;
    if (next_.valid()) next_.wait();  // it refers to our members
  }

  // Whether the object exists, its size and its version: from Head, or the first range.
  Status Open() {
    STRM_ASSIGN_OR_RETURN(std::optional<RangedObject> head, source_->Head());
    if (head) {
      size_ = head->size;
      version_ = std::move(head->version);
    } else {
      STRM_ASSIGN_OR_RETURN(cur_, Fetch(0, chunk_, /*first=*/true));
      requested_ = cur_.size();
    }
    if (requested_ < size_) StartFetch();  // under way while the caller gets ready
    return Status::Ok();
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (!error_.ok()) return error_;
    if (n == 0) return size_t{0};
    while (pos_ == cur_.size()) {
      if (!next_.valid()) return size_t{0};  // everything was fetched and read
      Result<std::string> r = next_.get();
      if (!r.ok()) {
        error_ = r.status();
        return error_;
      }
      cur_ = std::move(*r);
      pos_ = 0;
      if (requested_ < size_) StartFetch();  // one range ahead
    }
    const size_t k = std::min(n, cur_.size() - pos_);
    std::memcpy(buf, cur_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  void StartFetch() {
    const uint64_t offset = requested_;
    const uint64_t len = std::min<uint64_t>(chunk_, size_ - offset);
    requested_ += len;
    next_ = RunAsync([this, offset, len] { return Fetch(offset, len, /*first=*/false); });
  }

  // Bytes [offset, offset + len) (the first range: at most that many), with retries.
  Result<std::string> Fetch(uint64_t offset, uint64_t len, bool first) {
    const std::string& what = o_.what;
    std::string data;
    data.reserve(static_cast<size_t>(len));
    const HttpBodySink sink = [&](std::string_view chunk) -> Status {
      if (cancelled_.load(std::memory_order_relaxed)) return FailedPrecondition("read cancelled");
      if (data.size() + chunk.size() > len)
        return Internal(what + ": the server sent more than the " + std::to_string(len) +
                        " bytes asked for");
      data.append(chunk);
      return Status::Ok();
    };
    uint64_t asked_from = offset;  // of the latest try
    bool done_early = false;       // the latest broken try had every byte already
    Status fatal;
    auto r = WithRetries(o_.retry, what, [&]() -> Result<HttpResponse> {
      if (cancelled_.load(std::memory_order_relaxed)) return FailedPrecondition("read cancelled");
      if (version_.empty()) data.clear();  // nothing to resume against: start over
      if (!first && data.size() == len) {
        done_early = true;
        HttpResponse done;
        done.status = 206;
        return done;
      }
      asked_from = offset + data.size();
      return source_->GetRange(asked_from, offset + len - 1, version_, sink, fatal);
    });
    if (!fatal.ok()) return fatal.WithContext(what);
    if (!r.ok()) return r.status();
    switch (r->status) {
      case 206: {
        if (done_early) break;
        std::optional<ContentRange> range = ParseContentRange(*r);
        if (!range || range->first != asked_from || range->last + 1 != offset + data.size())
          return Internal(what + ": a partial answer whose Content-Range does not match the " +
                          std::to_string(data.size()) + " bytes from " + std::to_string(offset) +
                          " received");
        if (first) {
          size_ = range->total;
          version_ = source_->VersionOf(*r);
        } else if (range->total != size_) {
          return FailedPrecondition(what + ": the object changed size while being read");
        }
        break;
      }
      case 200:  // the whole object, which fitted
        if (!first) return Internal(what + ": the server ignored the Range header");
        size_ = data.size();
        version_ = source_->VersionOf(*r);
        break;
      case 416:  // no byte at offset 0: the object is empty
        if (!first) return HttpFailure(what, *r);
        size_ = 0;
        data.clear();
        break;
      case 404:
      case 412:
        if (first) return HttpFailure(what, *r);
        return FailedPrecondition(what + ": the object was replaced or deleted while being read (" +
                                  DescribeHttpFailure(*r) + ")");
      default:
        return HttpFailure(what, *r);
    }
    if (!first && data.size() != len)
      return Unavailable(what + ": got " + std::to_string(data.size()) + " of the " +
                         std::to_string(len) + " bytes of a range");
    return data;
  }

  const std::shared_ptr<RangeSource> source_;
  const RangedReaderOptions o_;
  const size_t chunk_;
  std::string version_;     // pinned by the first range; read by the fetch in flight
  uint64_t size_ = 0;       // of the object, from the first range
  uint64_t requested_ = 0;  // bytes [0, requested_) are fetched or being fetched
  std::string cur_;         // the range being read
  size_t pos_ = 0;
  std::future<Result<std::string>> next_;  // the range after it
  std::atomic<bool> cancelled_{false};
  Status error_;
};

}  // namespace

Result<std::unique_ptr<InputStream>> OpenRangedReader(std::shared_ptr<RangeSource> source,
                                                      RangedReaderOptions options) {
  auto reader = std::make_unique<RangedReader>(std::move(source), std::move(options));
  STRM_RETURN_IF_ERROR(reader->Open());
  return std::unique_ptr<InputStream>(std::move(reader));
}

}  // namespace strm
