#include "net/token_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "net/memory_transport.h"
#include "net/oauth_token.h"

namespace strm {
namespace {

using std::chrono::seconds;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  TokenCache::Clock Clock() {
    return [this] { return now; };
  }
};

TEST(TokenCache, RefreshesShortlyBeforeExpiry) {
  FakeClock clock;
  int fetches = 0;
  TokenCache cache(
      [&]() -> Result<BearerToken> {
        ++fetches;
        return BearerToken{"t" + std::to_string(fetches), seconds(3600)};
      },
      clock.Clock());
  EXPECT_EQ(*cache.Get(), "t1");
  EXPECT_EQ(*cache.Get(), "t1");
  clock.now += seconds(3600 - 300 - 1);  // 5 minutes and a second left
  EXPECT_EQ(*cache.Get(), "t1");
  clock.now += seconds(2);
  EXPECT_EQ(*cache.Get(), "t2") << "less than 5 minutes left";
  EXPECT_EQ(fetches, 2);

  // A short lifetime is refreshed after half of it.
  TokenCache short_lived(
      [&]() -> Result<BearerToken> {
        return BearerToken{"s" + std::to_string(++fetches), seconds(10)};
      },
      clock.Clock());
  EXPECT_EQ(*short_lived.Get(), "s3");
  clock.now += seconds(4);
  EXPECT_EQ(*short_lived.Get(), "s3");
  clock.now += seconds(2);
  EXPECT_EQ(*short_lived.Get(), "s4");
}

TEST(TokenCache, ForgetsErrorsAndRefusedTokens) {
  int fetches = 0;
  TokenCache cache([&]() -> Result<BearerToken> {
    if (++fetches == 1) return Unavailable("the token endpoint is down");
    return BearerToken{"t" + std::to_string(fetches), seconds(3600)};
  });
  EXPECT_EQ(cache.Get().status().message(), "the token endpoint is down");
  EXPECT_EQ(*cache.Get(), "t2") << "an error is not cached";
  cache.Invalidate("not the cached one");
  EXPECT_EQ(*cache.Get(), "t2");
  cache.Invalidate("t2");
  EXPECT_EQ(*cache.Get(), "t3");
  EXPECT_EQ(fetches, 3);
}

TEST(TokenCache, FetchesOneAtATime) {
  std::atomic<int> fetches{0}, in_flight{0}, most{0};
  std::atomic<bool> fail{true};
  TokenCache cache([&]() -> Result<BearerToken> {
    const int now = ++in_flight;
    most = std::max(most.load(), now);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    --in_flight;
    ++fetches;
    if (fail) return PermissionDenied("refused");
    return BearerToken{"shared", seconds(3600)};
  });
  // Callers that wait for a failing fetch share its error: one fetch, not one each.
  auto all = [&](int n, std::vector<Result<std::string>>& out) {
    std::vector<std::thread> threads;
    out.assign(n, Result<std::string>(Internal("unset")));
    std::latch start(n);
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        out[i] = cache.Get();
      });
    for (auto& t : threads) t.join();
  };
  std::vector<Result<std::string>> got;
  all(8, got);
  EXPECT_LE(fetches, 2) << "waiters share the fetch they waited for";
  for (auto& g : got) EXPECT_EQ(g.status().code(), StatusCode::kPermissionDenied);
  fail = false;
  fetches = 0;
  all(8, got);
  EXPECT_EQ(fetches, 1);
  for (auto& g : got) EXPECT_EQ(*g, "shared");
  EXPECT_EQ(most, 1) << "never two fetches at once";
}

HttpResponse Answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(SendWithToken, ReplacesARefusedTokenOnce) {
  int fetches = 0;
  TokenCache cache([&]() -> Result<BearerToken> {
    return BearerToken{"t" + std::to_string(++fetches), seconds(3600)};
  });
  std::vector<std::string> seen;  // each request's headers, "name=value;" after each other
  int unauthorized = 1;
  MemoryTransport http([&](const HttpRequest& req, const std::string&) -> Result<HttpResponse> {
    std::string line;
    for (const auto& h : req.headers) line += h.name + "=" + h.value + ";";
    seen.push_back(line);
    return Answer(unauthorized-- > 0 ? 401 : 200, "ok");
  });
  HttpRequest req;
  req.url = "https://h/k";
  Status token_error;
  auto r = SendWithToken(http, cache, req, nullptr, token_error);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"Authorization=Bearer t1;", "Authorization=Bearer t2;"}));
  unauthorized = 5;
  r = SendWithToken(http, cache, req, nullptr, token_error);
  EXPECT_EQ(r->status, 401) << "only once";
  EXPECT_TRUE(token_error.ok());

  // A second header with the same token (Azure's copy source): a fresh token goes into both.
  seen.clear();
  unauthorized = 1;
  req.headers = {{"x-ms-copy-source", "https://h/src"}};
  r = SendWithToken(http, cache, req, nullptr, token_error, "x-ms-copy-source-authorization");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"x-ms-copy-source=https://h/src;Authorization=Bearer t3;"
                                      "x-ms-copy-source-authorization=Bearer t3;",
                                      "x-ms-copy-source=https://h/src;Authorization=Bearer t4;"
                                      "x-ms-copy-source-authorization=Bearer t4;"}));

  // No token: the token's error wins, and is not retried by the policy.
  TokenCache broken([]() -> Result<BearerToken> {
    return Unavailable("the token request to https://login/t failed after 5 attempts: HTTP 503");
  });
  RetryPolicy policy;
  policy.sleep = [](std::chrono::milliseconds) {};
  int tries = 0;
  r = WithTokenRetries(policy, "Azure GET azure://a/c/k", [&](Status& error) {
    ++tries;
    return SendWithToken(http, broken, req, nullptr, error);
  });
  EXPECT_EQ(tries, 1);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "Azure GET azure://a/c/k: the token request to https://login/t failed after 5 "
            "attempts: HTTP 503");
}

TEST(FetchOAuthToken, ReadsTheAnswerAndNamesRefusalsWithoutSecrets) {
  std::string last_form;
  HttpResponse answer = Answer(200, R"({"access_token": "eyJ.secret.token", "expires_in": "3599",
                                        "token_type": "Bearer"})");
  MemoryTransport http(
      [&](const HttpRequest& req, const std::string& body) -> Result<HttpResponse> {
        EXPECT_EQ(req.method, "POST");
        EXPECT_EQ(req.headers[0].value, "application/x-www-form-urlencoded");
        last_form = body;
        return answer;
      });
  RetryPolicy policy;
  policy.sleep = [](std::chrono::milliseconds) {};
  OAuthTokenRequest t;
  t.url = "https://login.example/tenant/oauth2/v2.0/token?x=1";
  t.form = "grant_type=client_credentials&client_secret=hunter2";
  t.who = "the token request to https://login.example/tenant/oauth2/v2.0/token for client c";
  t.secret = "hunter2";
  auto token = FetchOAuthToken(http, policy, t);
  ASSERT_TRUE(token.ok()) << token.status().message();
  EXPECT_EQ(token->value, "eyJ.secret.token");
  EXPECT_EQ(token->lifetime, seconds(3599)) << "a string, as v1.0 endpoints send it";
  EXPECT_EQ(last_form, t.form);

  answer = Answer(401, R"({"error": "invalid_client", "error_description":
                          "AADSTS7000215: Invalid client secret 'hunter2'.\r\nTrace ID: 1"})");
  token = FetchOAuthToken(http, policy, t);
  EXPECT_EQ(token.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(token.status().message(),
            t.who +
                " was refused: HTTP 401 invalid_client (AADSTS7000215: Invalid client secret "
                "'****'.  Trace ID: 1)");
  answer = Answer(404, R"({"error": "invalid_request"})");
  EXPECT_EQ(FetchOAuthToken(http, policy, t).status().code(), StatusCode::kInvalidArgument);

  answer = Answer(200, R"({"access_token": "eyJ.secret.token", "token_type": "mac"})");
  token = FetchOAuthToken(http, policy, t);
  EXPECT_EQ(token.status().message(), t.who + ": the token_type is not Bearer");
  answer = Answer(200, R"({"access_token": "eyJ.secret.token"})");
  EXPECT_EQ(FetchOAuthToken(http, policy, t).status().message(),
            t.who + ": the answer has no valid expires_in")
      << "required unless defaulted";
  t.default_lifetime = seconds(3600);
  EXPECT_EQ(FetchOAuthToken(http, policy, t)->lifetime, seconds(3600));
  answer = Answer(200, R"({"expires_in": 10})");
  EXPECT_EQ(FetchOAuthToken(http, policy, t).status().message(),
            t.who + ": the answer has no access_token");
  answer = Answer(200, "eyJ.secret.token");
  token = FetchOAuthToken(http, policy, t);
  EXPECT_EQ(token.status().code(), StatusCode::kInternal);
  EXPECT_EQ(token.status().message().find("eyJ"), std::string::npos) << "never the token";

  answer = Answer(503, R"({"error": "temporarily_unavailable"})");
  token = FetchOAuthToken(http, policy, t);
  EXPECT_EQ(token.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(token.status().message(),
            t.who + " failed after 5 attempts: HTTP 503 temporarily_unavailable");
}

}  // namespace
}  // namespace strm
