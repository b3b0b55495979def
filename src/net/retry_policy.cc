#include "net/retry_policy.h"

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>

#include "net/http_status.h"

namespace strm {
namespace {

double DefaultUniform() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The cause of a retryable error, without the name of its request.
std::string Cause(const Status& s, std::string_view what) {
  std::string_view m = s.message();
  if (StartsWith(m, what)) {
    m.remove_prefix(what.size());
    for (std::string_view sep : {std::string_view(" failed: "), std::string_view(": ")})
      if (StartsWith(m, sep)) return std::string(m.substr(sep.size()));
  }
  return TransportCause(s);
}

}  // namespace

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry) {
  using std::chrono::milliseconds;
  // Doubling stops once past the cap, so a large `retry` cannot overflow.
  milliseconds cap = std::max(policy.base_delay, milliseconds(0));
  for (int i = 1; i < retry && cap < policy.max_delay; ++i) cap *= 2;
  cap = std::min(cap, policy.max_delay);
  double u = policy.uniform ? policy.uniform() : DefaultUniform();
  u = std::clamp(u, 0.0, 1.0);
  return milliseconds(static_cast<milliseconds::rep>(u * static_cast<double>(cap.count())));
}

bool IsRetryable(const Status& status) { return status.code() == StatusCode::kUnavailable; }

bool IsRetryableErrorCode(std::string_view code) {
  static constexpr std::string_view kCodes[] = {
      // S3
      "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
      // Azure (InternalError above)
      "ServerBusy", "OperationTimedOut",
      // GCS
      "rateLimitExceeded", "userRateLimitExceeded", "backendError"};
  return std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
}

bool IsRetryable(const HttpResponse& response) {
  const int s = response.status;
  if (s < 400) return false;  // a 2xx body is data, whatever it says
  if (s == 501 || s == 505) return false;
  if (s == 408 || s == 429 || s >= 500) return true;
  return IsRetryableErrorCode(ParseServiceError(response).code);
}

std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response) {
  const std::string* h = response.FindHeader("retry-after");
  if (h == nullptr) return std::nullopt;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(h->data(), h->data() + h->size(), seconds);
  if (ec != std::errc() || end != h->data() + h->size() || seconds < 0) return std::nullopt;
  return std::chrono::seconds(std::min<int64_t>(seconds, 24 * 3600));
}

Result<HttpResponse> WithRetries(const RetryPolicy& policy, std::string_view what,
                                 const std::function<Result<HttpResponse>()>& attempt) {
  using std::chrono::milliseconds;
  const int attempts = std::max(policy.max_attempts, 1);
  auto now = [&] { return policy.clock ? policy.clock() : std::chrono::steady_clock::now(); };
  const auto start = now();
  std::string cause;
  for (int n = 1;; ++n) {
    Result<HttpResponse> r = attempt();
    std::optional<std::chrono::seconds> retry_after;
    if (r.ok()) {
      if (!IsRetryable(*r)) return r;
      cause = DescribeHttpFailure(*r);
      retry_after = RetryAfter(*r);
    } else {
      const Status error = r.status();
      if (!IsRetryable(error)) {
        if (StartsWith(error.message(), what)) return error;
        std::string transport = TransportCause(error);
        if (transport != error.message())
          return Status(error.code(), std::string(what) + " failed: " + transport);
        return error.WithContext(what);
      }
      cause = Cause(error, what);
    }
    milliseconds delay = BackoffDelay(policy, n);
    if (retry_after) delay = std::max<milliseconds>(delay, *retry_after);
    const bool past_deadline =
        policy.deadline.count() > 0 && now() + delay - start > policy.deadline;
    if (n >= attempts || past_deadline) {
      return Unavailable(std::string(what) + " failed after " + std::to_string(n) +
                         (n == 1 ? " attempt: " : " attempts: ") + cause);
    }
    if (policy.sleep) {
      policy.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
  }
}

}  // namespace strm
