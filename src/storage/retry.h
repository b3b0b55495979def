// Retries of HTTP exchanges with object stores: which failures are worth another try, and
// exponential backoff with full jitter between tries (the delay before retry n is uniform in
// [0, min(max_delay, base_delay * 2^(n-1))), so clients that failed together do not retry
// together).
//
// Retried: transport failures that HttpClient reports as kUnavailable (connection refused or
// reset, timeouts, DNS failures); responses 408, 429 and 5xx except 501 and 505 (which will not
// change); and error responses whose body carries S3's <Code>SlowDown</Code> (S3 sends it
// with 503) or <Code>RequestTimeout</Code> (S3 sends it with 400 when an upload stalled).
// Everything else, 4xx above all, is the caller's to handle. Retry-After is not read.
//
// Only idempotent exchanges belong here: every object-store request strm makes is one (a PUT
// or a part upload overwrites; a DELETE of a missing key succeeds).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "storage/http_client.h"

namespace strm {

struct RetryPolicy {
  int max_attempts = 5;  // tries in all, the first included; 1 means no retry
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
  // Injectable so tests neither sleep nor depend on chance. Empty means
  // std::this_thread::sleep_for, and a per-thread generator seeded from std::random_device.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<double()> uniform;  // a number in [0, 1)
};

// The wait before retry `retry` (1 for the wait after the first attempt).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry);

bool IsRetryable(const Status& status);
bool IsRetryable(const HttpResponse& response);

// "HTTP 503 SlowDown": the status and, when the body is an S3 or Azure XML error document,
// its <Code>.
std::string DescribeHttpFailure(const HttpResponse& response);

// Calls `attempt` until it yields a result that is not retryable, or `policy.max_attempts`
// calls were made, waiting BackoffDelay between calls. Returns the first result that is not
// retryable as it is, a non-2xx response included (the caller decides what a 404 means). When
// the attempts run out, returns kUnavailable naming `what` (use DescribeRequest), the count
// and the last cause: "PUT https://host/bucket/key failed after 5 attempts: HTTP 503 SlowDown".
Result<HttpResponse> WithRetries(const RetryPolicy& policy, std::string_view what,
                                 const std::function<Result<HttpResponse>()>& attempt);

}  // namespace strm
