#include "net/retry_policy.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include "net/curl_transport.h"
#include "testing/test_http_server.h"

namespace strm {
namespace {

using std::chrono::milliseconds;

// A policy that records its waits instead of sleeping, with a fixed "random" draw.
struct FakeTime {
  std::vector<milliseconds> sleeps;
  RetryPolicy Policy(double draw = 0.5) {
    RetryPolicy p;
    p.sleep = [this](milliseconds d) { sleeps.push_back(d); };
    p.uniform = [draw] { return draw; };
    return p;
  }
};

HttpResponse Response(int status, std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

const char kSlowDown[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
    "<Message>Please reduce your request rate.</Message></Error>";

TEST(BackoffDelay, GrowsExponentiallyWithFullJitterUpToTheCap) {
  FakeTime t;
  RetryPolicy p = t.Policy(0.5);  // half of each cap
  std::vector<long> got;
  for (int retry = 1; retry <= 8; ++retry) got.push_back(BackoffDelay(p, retry).count());
  EXPECT_EQ(got, (std::vector<long>{50, 100, 200, 400, 800, 1600, 2500, 2500}));
  EXPECT_EQ(BackoffDelay(p, 1000).count(), 2500) << "no overflow for late retries";
  p.uniform = [] { return 0.0; };
  EXPECT_EQ(BackoffDelay(p, 3).count(), 0) << "full jitter reaches down to no wait";
  p.uniform = nullptr;  // the real generator stays within [0, cap]
  for (int i = 0; i < 100; ++i) {
    milliseconds d = BackoffDelay(p, 4);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d.count(), 800);
  }
}

TEST(IsRetryable, ClassifiesResponsesAndStatuses) {
  for (int s : {500, 502, 503, 504, 429, 408}) EXPECT_TRUE(IsRetryable(Response(s))) << s;
  for (int s : {200, 204, 206, 301, 400, 403, 404, 409, 412, 501, 505})
    EXPECT_FALSE(IsRetryable(Response(s))) << s;
  EXPECT_TRUE(IsRetryable(Response(400, "<Error><Code>RequestTimeout</Code></Error>")));
  EXPECT_TRUE(IsRetryable(Response(403, kSlowDown))) << "the body's code counts too";
  EXPECT_FALSE(IsRetryable(Response(200, kSlowDown))) << "a 2xx body is data";
  EXPECT_FALSE(IsRetryable(Response(403, "<Error><Code>AccessDenied</Code></Error>")));
  EXPECT_FALSE(IsRetryable(Response(501, "<Error><Code>InternalError</Code></Error>")))
      << "501 and 505 will not change, whatever the body says";

  // Azure names its code in a header (the only place on HEAD), GCS in JSON.
  HttpResponse busy = Response(400);
  busy.headers = {{"x-ms-error-code", "ServerBusy"}};
  EXPECT_TRUE(IsRetryable(busy));
  busy.headers = {{"x-ms-error-code", "OperationTimedOut"}};
  EXPECT_TRUE(IsRetryable(busy));
  busy.headers = {{"x-ms-error-code", "AuthorizationFailure"}};
  EXPECT_FALSE(IsRetryable(busy));
  EXPECT_TRUE(IsRetryable(Response(
      403, R"({"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}})")));
  EXPECT_FALSE(IsRetryable(
      Response(403, R"({"error": {"code": 403, "errors": [{"reason": "forbidden"}]}})")));
  for (std::string_view code :
       {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "ServerBusy",
        "OperationTimedOut", "rateLimitExceeded", "backendError"})
    EXPECT_TRUE(IsRetryableErrorCode(code)) << code;
  for (std::string_view code : {"", "NoSuchKey", "InvalidPart", "AccessDenied", "BlobNotFound"})
    EXPECT_FALSE(IsRetryableErrorCode(code)) << code;

  EXPECT_TRUE(IsRetryable(Unavailable("GET http://h/k failed: Couldn't connect to server")));
  EXPECT_FALSE(IsRetryable(FailedPrecondition("GET https://h/k failed: certificate")));
  EXPECT_FALSE(IsRetryable(InvalidArgument("bad URL")));
  EXPECT_FALSE(IsRetryable(IoError("disk full")));
}

TEST(WithRetries, ReturnsTheFirstResultThatIsNotRetryable) {
  FakeTime t;
  int calls = 0;
  auto r = WithRetries(t.Policy(), "GET http://h/k", [&]() -> Result<HttpResponse> {
    ++calls;
    if (calls == 1) return Unavailable("GET http://h/k failed: Connection reset by peer");
    return Response(404, "<Error><Code>NoSuchKey</Code></Error>");
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404) << "a 404 is the caller's to judge";
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(t.sleeps, (std::vector<milliseconds>{milliseconds(50)}));

  calls = 0;
  r = WithRetries(t.Policy(), "GET https://h/k", [&]() -> Result<HttpResponse> {
    ++calls;
    return FailedPrecondition("GET https://h/k failed: certificate problem");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.status().message(), "GET https://h/k failed: certificate problem") << "unchanged";
}

TEST(WithRetries, SaysWhatFailedAndHowOftenWhenTheAttemptsRunOut) {
  FakeTime t;
  RetryPolicy p = t.Policy();
  p.max_attempts = 3;
  int calls = 0;
  auto r = WithRetries(p, "GET http://h/k", [&]() -> Result<HttpResponse> {
    ++calls;
    return Unavailable("GET http://h/k failed: Couldn't connect to server");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "GET http://h/k failed after 3 attempts: Couldn't connect to server");
  EXPECT_EQ(t.sleeps, (std::vector<milliseconds>{milliseconds(50), milliseconds(100)}));

  p.max_attempts = 1;
  r = WithRetries(p, "GET http://h/k", [] { return Result<HttpResponse>(Response(500)); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "GET http://h/k failed after 1 attempt: HTTP 500");
}

TEST(WithRetries, NamesItsRequestInEveryError) {
  FakeTime t;
  auto r = WithRetries(t.Policy(), "S3 GET s3://b/k", [] {
    return Result<HttpResponse>(FailedPrecondition("GET https://h/b/k failed: SSL certificate"));
  });
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "S3 GET s3://b/k failed: SSL certificate")
      << "a transport's own prefix gives way to the request's name";
  r = WithRetries(t.Policy(), "S3 GET s3://b/k", [] {
    return Result<HttpResponse>(Internal("the server sent more than asked for"));
  });
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_EQ(r.status().message(), "S3 GET s3://b/k: the server sent more than asked for");
  r = WithRetries(t.Policy(), "S3 GET s3://b/k",
                  [] { return Result<HttpResponse>(NotFound("S3 GET s3://b/k: gone")); });
  EXPECT_EQ(r.status().message(), "S3 GET s3://b/k: gone") << "named once";
  RetryPolicy two = t.Policy();
  two.max_attempts = 2;
  r = WithRetries(two, "S3 GET s3://b/k", [] {
    return Result<HttpResponse>(Unavailable("S3 GET s3://b/k: got 3 of the 5 bytes"));
  });
  EXPECT_EQ(r.status().message(), "S3 GET s3://b/k failed after 2 attempts: got 3 of the 5 bytes");
}

// A clock that the fake sleep moves forward.
struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  std::vector<milliseconds> sleeps;
  RetryPolicy Policy() {
    RetryPolicy p;
    p.sleep = [this](milliseconds d) {
      sleeps.push_back(d);
      now += d;
    };
    p.clock = [this] { return now; };
    p.uniform = [] { return 0.999999; };  // the longest waits
    return p;
  }
};

TEST(WithRetries, StopsAtTheDeadline) {
  FakeClock c;
  RetryPolicy p = c.Policy();
  p.max_attempts = 100;
  p.base_delay = milliseconds(1000);
  p.max_delay = milliseconds(8000);
  p.deadline = milliseconds(10'000);
  int calls = 0;
  auto r = WithRetries(p, "GET http://h/k", [&] {
    ++calls;
    c.now += milliseconds(500);  // each try takes half a second
    return Result<HttpResponse>(Response(503));
  });
  ASSERT_FALSE(r.ok());
  // Tries at 0, 1.5, 4, 8.5 s (after waits of ~1, 2, 4 s); the next wait of ~8 s would end
  // past 10 s.
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(r.status().message(), "GET http://h/k failed after 4 attempts: HTTP 503");
  ASSERT_EQ(c.sleeps.size(), 3u);
  EXPECT_LE(c.now - std::chrono::steady_clock::time_point{}, milliseconds(10'000));

  p.deadline = milliseconds(0);  // no deadline: the attempts decide
  p.max_attempts = 6;
  calls = 0;
  r = WithRetries(p, "GET http://h/k", [&] {
    ++calls;
    return Result<HttpResponse>(Response(503));
  });
  EXPECT_EQ(calls, 6);
}

TEST(WithRetries, HonoursRetryAfterWithinTheDeadline) {
  FakeClock c;
  RetryPolicy p = c.Policy();
  p.uniform = [] { return 0.0; };  // no backoff of its own: the waits are Retry-After's
  int calls = 0;
  auto r = WithRetries(p, "GET http://h/k", [&]() -> Result<HttpResponse> {
    if (++calls == 3) return Response(200, "ok");
    HttpResponse slow = Response(calls == 1 ? 429 : 503);
    slow.headers = {{"retry-after", calls == 1 ? "2" : "7"}};
    return slow;
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(c.sleeps, (std::vector<milliseconds>{milliseconds(2000), milliseconds(7000)}));

  // A Retry-After past the deadline ends the retries at once.
  c.sleeps.clear();
  calls = 0;
  r = WithRetries(p, "GET http://h/k", [&]() -> Result<HttpResponse> {
    ++calls;
    HttpResponse slow = Response(503, kSlowDown);
    slow.headers = {{"retry-after", "3600"}};
    return slow;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(c.sleeps.empty());
  EXPECT_EQ(r.status().message(),
            "GET http://h/k failed after 1 attempt: HTTP 503 SlowDown (Please reduce your request "
            "rate.)");

  HttpResponse dated = Response(503);
  dated.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  EXPECT_FALSE(RetryAfter(dated).has_value()) << "dates are not read";
  dated.headers = {{"retry-after", "120"}};
  EXPECT_EQ(RetryAfter(dated), std::chrono::seconds(120));
}

// ---- against a real server ----------------------------------------------------------------

class WithRetriesOverHttp : public ::testing::Test {
 protected:
  Result<HttpResponse> Put(HttpTransport& client, const std::string& path) {
    HttpRequest req;
    req.method = "PUT";
    req.url = server_.Url(path);
    req.body = "row1\n";
    return WithRetries(policy_, DescribeRequest(req), [&] { return client.Send(req); });
  }

  TestServer server_;
  std::atomic<int> hits_{0};
  FakeTime time_;
  RetryPolicy policy_ = time_.Policy();
};

TEST_F(WithRetriesOverHttp, SucceedsOnTheThirdAttemptAfterTwo503s) {
  server_->Put("/bucket/key", [&](const httplib::Request& req, httplib::Response& res) {
    if (++hits_ <= 2) {
      res.status = 503;
      res.set_content(kSlowDown, "application/xml");
      return;
    }
    res.set_content("stored " + req.body, "text/plain");
  });
  server_.Start();
  CurlTransport client;
  auto r = Put(client, "/bucket/key");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "stored row1\n");
  EXPECT_EQ(hits_, 3);
  EXPECT_EQ(time_.sleeps, (std::vector<milliseconds>{milliseconds(50), milliseconds(100)}));
}

TEST_F(WithRetriesOverHttp, GivesUpOnAServerThatAlwaysSlowsDown) {
  server_->Put("/bucket/key", [&](const httplib::Request&, httplib::Response& res) {
    ++hits_;
    res.status = 503;
    res.set_content(kSlowDown, "application/xml");
  });
  server_.Start();
  CurlTransport client;
  auto r = Put(client, "/bucket/key?partNumber=1&uploadId=abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "PUT " + server_.Url("/bucket/key") +
                " failed after 5 attempts: HTTP 503 SlowDown (Please reduce your request rate.)");
  EXPECT_EQ(hits_, 5);
  EXPECT_EQ(time_.sleeps.size(), 4u);
}

TEST_F(WithRetriesOverHttp, DoesNotRetryClientErrors) {
  server_->Put("/bucket/key", [&](const httplib::Request&, httplib::Response& res) {
    ++hits_;
    res.status = 403;
    res.set_content("<Error><Code>SignatureDoesNotMatch</Code></Error>", "application/xml");
  });
  server_.Start();
  CurlTransport client;
  auto r = Put(client, "/bucket/key");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body, "<Error><Code>SignatureDoesNotMatch</Code></Error>");
  EXPECT_EQ(hits_, 1);
  EXPECT_TRUE(time_.sleeps.empty());
}

TEST_F(WithRetriesOverHttp, RetriesRefusedConnections) {
  server_.Start();
  const std::string url = server_.Url("/bucket/key");
  server_->stop();  // the port now refuses connections
  CurlTransport client;
  policy_.max_attempts = 2;
  HttpRequest req;
  req.url = url + "?X-Amz-Signature=secret";
  int calls = 0;
  auto r = WithRetries(policy_, DescribeRequest(req), [&] {
    ++calls;
    return client.Send(req);
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(
      r.status().message().rfind("GET " + url + " failed after 2 attempts: Couldn't connect", 0),
      0u)
      << r.status().message();
  EXPECT_EQ(r.status().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace strm
