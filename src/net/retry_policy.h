// The one retry policy of every object-store request: which failures are worth another try,
// how long to wait between tries, and when to stop.
//
// Retried (IsRetryable):
//   - transport failures that a transport reports as kUnavailable: connection refused or
//     reset, DNS failures, timeouts, truncated answers;
//   - HTTP 408 (the server gave up waiting for our request, which it has not processed: a
//     fresh try on a fresh connection may get through), 429, and 5xx except 501 and 505
//     (which will not change);
//   - answers whose error code says "try again", whatever their status: S3's SlowDown,
//     RequestTimeout (a 400 for an upload that stalled), InternalError and
//     ServiceUnavailable, Azure's ServerBusy, OperationTimedOut and InternalError, GCS's
//     rateLimitExceeded, userRateLimitExceeded and backendError (IsRetryableErrorCode).
//     S3 may answer 200 with an <Error> body to CompleteMultipartUpload and copies: the S3
//     store turns those codes into the status they stand for, so they are retried too.
// Never retried: other 4xx (400, 401, 403, 404, 409, 412, 416, ...), which will not change by
// themselves, 3xx, and TLS or argument errors.
//
// Waits: exponential backoff with full jitter: the wait before retry n is uniform in
// [0, min(max_delay, base_delay * 2^(n-1))), so clients that failed together do not retry
// together. An answer with Retry-After (whole seconds) waits at least that long.
//
// Stops: after max_attempts tries in all, or when the next wait would end more than `deadline`
// after the first try began (a Retry-After beyond it ends the retries at once). The defaults
// (5 tries, 100 ms doubling to 5 s, 60 s) give a request at most 1.5 s of waits (0.75 s on
// average) unless the store asks for more with Retry-After, and never more than a minute of
// retrying; a single exchange is bounded by its own timeouts (HttpTimeouts), not by the
// deadline.
//
// Only idempotent exchanges belong here: every object-store request strm makes is one (a PUT,
// a part upload or a copy overwrites; a DELETE of a missing key succeeds; a retried
// CompleteMultipartUpload that finds its upload gone checks the object).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http_transport.h"

namespace strm {

struct RetryPolicy {
  int max_attempts = 5;  // tries in all, the first included; 1 means no retry
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
  std::chrono::milliseconds deadline{60'000};  // of all tries and waits; 0 means none
  // Injectable so tests neither sleep nor depend on chance. Empty means
  // std::this_thread::sleep_for, a per-thread generator seeded from std::random_device, and
  // std::chrono::steady_clock::now.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<double()> uniform;  // a number in [0, 1)
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// The wait before retry `retry` (1 for the wait after the first attempt), without Retry-After.
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry);

bool IsRetryable(const Status& status);
bool IsRetryable(const HttpResponse& response);
// The service error codes that mean "try again" (see above).
bool IsRetryableErrorCode(std::string_view code);

// The Retry-After of an answer, when it is a number of seconds (an HTTP date is ignored).
std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response);

// Calls `attempt` until it yields a result that is not retryable, or the policy says stop,
// waiting between calls as described above. Returns the first result that is not retryable as
// it is when it is a response, a non-2xx one included (the caller decides what a 404 means,
// with HttpFailure for the rest). Every error names `what` (RequestName; for a bare request,
// DescribeRequest): an error that is not retryable keeps its code and becomes "<what> failed:
// <cause>" when it is a transport's (TransportCause), "<what>: <message>" otherwise, unless it
// names `what` already; when the policy stops, kUnavailable "<what> failed after N attempts:
// <cause>", the cause being the last one ("HTTP 503 SlowDown (Please reduce your request
// rate.)", or the error's message without its request's name).
Result<HttpResponse> WithRetries(const RetryPolicy& policy, std::string_view what,
                                 const std::function<Result<HttpResponse>()>& attempt);

}  // namespace strm
