// TokenCache: one bearer token shared by every request of a store (Azure's client-credentials
// token, GCS's service-account token), fetched when needed and refreshed shortly before it
// expires; and SendWithToken / WithTokenRetries, the exchange that carries it.
//
// Thread-safe. The fetch function is injected (oauth_token.h has the shared OAuth exchange):
//   - a token is refreshed once less than min(5 min, half its lifetime) of it is left (as
//     Azure's and Google's SDKs do); its lifetime counts from when it was asked for;
//   - one fetch at a time: callers that need a token while another thread fetches one wait for
//     that fetch and share its result, token or error; while a still valid token is being
//     refreshed, callers go on using it instead of waiting;
//   - an error is handed to the callers that waited for that fetch and then forgotten: the
//     next call fetches again (no error is cached beyond the fetch that produced it);
//   - Invalidate drops a token that the service refused (HTTP 401), so the next call fetches a
//     fresh one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http_transport.h"
#include "net/retry_policy.h"

namespace strm {

struct BearerToken {
  std::string value;
  std::chrono::seconds lifetime{0};  // from when it was asked for
};

class TokenCache {
 public:
  using Fetch = std::function<Result<BearerToken>()>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` empty: std::chrono::steady_clock::now.
  explicit TokenCache(Fetch fetch, Clock clock = {});
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  // A token with more than the refresh margin left, or the fetch's error.
  Result<std::string> Get();

  // The service refused `token`: forget it, unless another thread replaced it already.
  void Invalidate(const std::string& token);

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint Now() const;

  const Fetch fetch_;
  const Clock clock_;
  std::mutex mu_;
  std::condition_variable fetched_;
  std::string token_;     // empty: none (yet, or refused)
  TimePoint refresh_at_;  // of token_
  TimePoint expires_at_;  // of token_
  bool fetching_ = false;
  uint64_t fetches_done_ = 0;
  Status last_error_;  // of fetch number fetches_done_, for the callers that waited for it
};

// Sends `request` once with "Authorization: Bearer <token>" (through `sink` if given), and the
// same value in the header `also_header` if it is not empty (Azure's
// x-ms-copy-source-authorization, which lets a copy read its source). A 401 answer drops the
// token and sends once more with a fresh one. When no token can be had, the token's error goes
// to `token_error` and a FailedPrecondition is returned, so that WithRetries does not retry it
// (the fetch had retries of its own).
Result<HttpResponse> SendWithToken(HttpTransport& http, TokenCache& tokens, HttpRequest request,
                                   const HttpBodySink* sink, Status& token_error,
                                   std::string_view also_header = {});

// WithRetries over attempts made with SendWithToken: a token error wins over the rest,
// as "<what>: <the token error>" with its own code.
Result<HttpResponse> WithTokenRetries(
    const RetryPolicy& policy, std::string_view what,
    const std::function<Result<HttpResponse>(Status& token_error)>& attempt);

}  // namespace strm
