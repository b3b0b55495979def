#include "storage/retry.h"

#include <algorithm>
#include <random>
#include <thread>

namespace strm {
namespace {

// The text of the first <Code>...</Code> element of an XML error document, or "".
std::string_view XmlErrorCode(std::string_view body) {
  constexpr std::string_view kOpen = "<Code>", kClose = "</Code>";
  size_t start = body.find(kOpen);
  if (start == std::string_view::npos) return {};
  start += kOpen.size();
  size_t end = body.find(kClose, start);
  if (end == std::string_view::npos) return {};
  return body.substr(start, end - start);
}

double DefaultUniform() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
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

bool IsRetryable(const HttpResponse& response) {
  const int s = response.status;
  if (s >= 200 && s < 300) return false;  // a 2xx body is data, whatever it says
  if (s == 408 || s == 429) return true;
  if (s >= 500 && s < 600) return s != 501 && s != 505;
  std::string_view code = XmlErrorCode(response.body);
  return code == "SlowDown" || code == "RequestTimeout";
}

std::string DescribeHttpFailure(const HttpResponse& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  std::string_view code = XmlErrorCode(response.body);
  if (!code.empty() && code.size() <= 64) {
    out += ' ';
    out += code;
  }
  return out;
}

Result<HttpResponse> WithRetries(const RetryPolicy& policy, std::string_view what,
                                 const std::function<Result<HttpResponse>()>& attempt) {
  const int attempts = std::max(policy.max_attempts, 1);
  std::string cause;
  for (int n = 1;; ++n) {
    Result<HttpResponse> r = attempt();
    if (r.ok()) {
      if (!IsRetryable(*r)) return r;
      cause = DescribeHttpFailure(*r);
    } else {
      if (!IsRetryable(r.status())) return r;
      // HttpClient's message starts with "<what> failed: "; do not say it twice.
      cause = r.status().message();
      const std::string prefix = std::string(what) + " failed: ";
      if (cause.compare(0, prefix.size(), prefix) == 0) cause.erase(0, prefix.size());
    }
    if (n >= attempts) {
      return Unavailable(std::string(what) + " failed after " + std::to_string(n) +
                         (n == 1 ? " attempt: " : " attempts: ") + cause);
    }
    std::chrono::milliseconds delay = BackoffDelay(policy, n);
    if (policy.sleep) {
      policy.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
  }
}

}  // namespace strm
