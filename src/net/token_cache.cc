#include "net/token_cache.h"

#include <algorithm>

namespace strm {
namespace {

constexpr std::chrono::seconds kMaxRefreshMargin{300};

}  // namespace

TokenCache::TokenCache(Fetch fetch, Clock clock)
    : fetch_(std::move(fetch)), clock_(std::move(clock)) {}

TokenCache::TimePoint TokenCache::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

Result<std::string> TokenCache::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const TimePoint now = Now();
    if (!token_.empty() && now < refresh_at_) return token_;
    if (fetching_) {
      if (!token_.empty() && now < expires_at_) return token_;  // still good while refreshed
      const uint64_t awaited = fetches_done_ + 1;
      fetched_.wait(lock, [&] { return fetches_done_ >= awaited; });
      if (fetches_done_ == awaited && !last_error_.ok()) return last_error_;
      continue;
    }
    fetching_ = true;
    lock.unlock();
    const TimePoint asked = Now();
    Result<BearerToken> got = fetch_();
    lock.lock();
    fetching_ = false;
    ++fetches_done_;
    if (got.ok()) {
      last_error_ = Status::Ok();
      token_ = std::move(got->value);
      const auto life = std::chrono::duration_cast<TimePoint::duration>(got->lifetime);
      refresh_at_ = asked + life - std::min<TimePoint::duration>(kMaxRefreshMargin, life / 2);
      expires_at_ = asked + life;
    } else {
      last_error_ = got.status();
    }
    fetched_.notify_all();
    if (!got.ok()) return got.status();
    return token_;
  }
}

void TokenCache::Invalidate(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (token_ == token) token_.clear();
}

Result<HttpResponse> SendWithToken(HttpTransport& http, TokenCache& tokens, HttpRequest request,
                                   const HttpBodySink* sink, Status& token_error,
                                   std::string_view also_header) {
  const size_t auth = request.headers.size();
  request.headers.push_back({"Authorization", ""});
  if (!also_header.empty()) request.headers.push_back({std::string(also_header), ""});
  for (int pass = 0;; ++pass) {
    Result<std::string> token = tokens.Get();
    if (!token.ok()) {
      token_error = token.status();
      return FailedPrecondition("no access token");
    }
    request.headers[auth].value = "Bearer " + *token;
    if (!also_header.empty()) request.headers[auth + 1].value = request.headers[auth].value;
    Result<HttpResponse> r = sink != nullptr ? http.Stream(request, *sink) : http.Send(request);
    if (pass == 0 && r.ok() && r->status == 401) {
      tokens.Invalidate(*token);
      continue;
    }
    return r;
  }
}

Result<HttpResponse> WithTokenRetries(
    const RetryPolicy& policy, std::string_view what,
    const std::function<Result<HttpResponse>(Status& token_error)>& attempt) {
  Status token_error;
  Result<HttpResponse> r = WithRetries(policy, what, [&] { return attempt(token_error); });
  if (!token_error.ok()) return token_error.WithContext(what);
  return r;
}

}  // namespace strm
