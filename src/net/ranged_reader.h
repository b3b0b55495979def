// RangedReader: the InputStream of every remote store. It reads an object by ranged GETs of
// `chunk_size` bytes, one bounded buffer each, with the next range fetched on a thread of its
// own while the current one is read (memory: two chunks, whatever the object's size).
//
//   - Open learns whether the object exists, its size and its version (the store's ETag or
//     generation): from RangeSource::Head where the store has it (S3's HeadObject; the first
//     range is then fetched in the background like the others), else from the first range
//     (bytes=0-<chunk-1>), which Open fetches: 404 is kNotFound "<what>: HTTP 404 NoSuchKey
//     (...)", Content-Range's total is the size (a 200 is the whole object, which must fit in
//     the chunk; a 416 is an empty object), RangeSource::VersionOf the version.
//   - Every later range is pinned to that version (If-Match, or generation=), so an object
//     replaced or deleted while it is read fails the read (kFailedPrecondition "<what>: the
//     object was replaced or deleted while being read (HTTP 412 ...)") instead of mixing two
//     versions.
//   - Each range goes through the retry policy on its own; a try after an exchange that broke
//     in the middle asks only for the bytes not yet received (Range: bytes=<first missing>-),
//     as long as the version is pinned (the first range, before its version is known, starts
//     over).
//   - Answers are checked: a 206 must say (Content-Range) that it holds the bytes asked for,
//     and no answer may hold more bytes than were asked for (kInternal).
//
// Not thread-safe (one reader, as InputStream). A reader dropped before its end stops the
// range in flight and waits for it. It keeps its RangeSource alive, so it may outlive the
// store that made it.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "core/stream.h"
#include "net/http_transport.h"
#include "net/retry_policy.h"

namespace strm {

// What Open learns of an object.
struct RangedObject {
  uint64_t size = 0;
  std::string version;  // "" when the store names none: then nothing is pinned
};

// A store's side of ranged reads.
class RangeSource {
 public:
  virtual ~RangeSource() = default;
  // The object's size and version before any range, with retries; nullopt (the default) when
  // the first range is to tell them. Its errors are Open's (kNotFound for a missing object).
  virtual Result<std::optional<RangedObject>> Head() { return std::nullopt; }
  // One try (no retry) of a GET of bytes [first, last] of the object, the body to `sink`,
  // pinned to `version` unless it is empty. An error that must not be retried even if its
  // code says so (a token that cannot be had) goes to `fatal` (see WithTokenRetries).
  virtual Result<HttpResponse> GetRange(uint64_t first, uint64_t last, const std::string& version,
                                        const HttpBodySink& sink, Status& fatal) = 0;
  // The version that an answer is of ("" when it names none: then nothing is pinned).
  virtual std::string VersionOf(const HttpResponse& response) const = 0;
};

struct RangedReaderOptions {
  std::string what;  // names the read in messages: "S3 GET s3://b/k"
  RetryPolicy retry;
  size_t chunk_size = 8 << 20;  // bytes per range, at least 1
};

// Fetches the first range and returns the reader, or the first range's error.
Result<std::unique_ptr<InputStream>> OpenRangedReader(std::shared_ptr<RangeSource> source,
                                                      RangedReaderOptions options);

}  // namespace strm
