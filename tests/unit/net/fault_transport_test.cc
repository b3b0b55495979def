#include "net/fault_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "net/http_status.h"
#include "net/memory_transport.h"
#include "net/retry_policy.h"

namespace strm {
namespace {

// A store in memory: PUT stores the body under the path, GET answers it (206 for a Range).
struct Store {
  std::atomic<int> puts{0};
  std::string data;
  std::shared_ptr<MemoryTransport> transport = std::make_shared<MemoryTransport>(
      [this](const HttpRequest& req, const std::string& body) -> Result<HttpResponse> {
        HttpResponse r;
        if (req.method == "PUT") {
          ++puts;
          data = body;
          r.status = 200;
          return r;
        }
        r.status = 200;
        r.body = data;
        return r;
      },
      /*chunk_size=*/3);
};

HttpRequest Request(std::string method, std::string url, std::string_view body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = body;
  return r;
}

TEST(MemoryTransport, AnswersFromItsHandlerAndStreamsInChunks) {
  Store store;
  ASSERT_TRUE(store.transport->Send(Request("PUT", "http://h/k", "0123456789")).ok());
  EXPECT_EQ(store.data, "0123456789");
  std::vector<std::string> chunks;
  auto r = store.transport->Stream(Request("GET", "http://h/k"), [&](std::string_view c) {
    chunks.emplace_back(c);
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "") << "a streamed 2xx body went to the sink";
  EXPECT_EQ(chunks, (std::vector<std::string>{"012", "345", "678", "9"}));

  // A body source is read whole; one that ends early is refused, as libcurl does.
  HttpRequest put = Request("PUT", "http://h/k");
  std::string src = "abcdef";
  size_t at = 0;
  put.body_source.size = 6;
  put.body_source.read = [&](char* buf, size_t n) -> Result<size_t> {
    const size_t k = std::min(n, src.size() - at);
    std::copy_n(src.data() + at, k, buf);
    at += k;
    return k;
  };
  ASSERT_TRUE(store.transport->Send(put).ok());
  EXPECT_EQ(store.data, "abcdef");
  at = 0;
  put.body_source.size = 7;
  auto short_source = store.transport->Send(put);
  EXPECT_EQ(short_source.status().code(), StatusCode::kInvalidArgument);
}

TEST(FaultTransport, FailsTheChosenRequestWithEachFault) {
  Store store;
  auto faults = std::make_shared<FaultTransport>(store.transport, FaultDialect::kS3);
  store.data = "abcdefgh";
  const HttpRequest get = Request("GET", "https://h/b/k?X-Amz-Signature=secret");
  auto sink_into = [](std::string& got) {
    return [&got](std::string_view c) {
      got.append(c);
      return Status::Ok();
    };
  };

  faults->FailRequest(2, Fault::k503);
  std::string got;
  EXPECT_EQ(faults->Stream(get, sink_into(got))->status, 200);
  auto busy = faults->Stream(get, sink_into(got));
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(DescribeHttpFailure(*busy), "HTTP 503 SlowDown (Please reduce your request rate.)");
  EXPECT_TRUE(IsRetryable(*busy));
  EXPECT_EQ(got, "abcdefgh") << "the 503 never reached the sink";

  faults->FailRequest(4, Fault::kTruncatedBody);
  got.clear();
  auto cut = faults->Stream(get, sink_into(got));  // request 3: untouched
  got.clear();
  cut = faults->Stream(get, sink_into(got));
  EXPECT_EQ(cut.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(got, "abcd") << "the sink saw the first half";
  EXPECT_EQ(cut.status().message(),
            "GET https://h/b/k failed: Transferred a partial file: transfer closed with 4 bytes "
            "remaining to read");
  EXPECT_EQ(faults->Send(get).status().code(), StatusCode::kOk);  // request 5

  // Reset before sending: the store never sees it; after sending and timeout: it acts, the
  // answer is lost.
  const HttpRequest put = Request("PUT", "https://h/b/k", "new");
  faults->FailRequest(6, Fault::kResetBeforeSend, /*and_after=*/true);
  auto reset = faults->Send(put);
  EXPECT_EQ(reset.status().message(),
            "PUT https://h/b/k failed: Send failure: Connection reset by peer");
  EXPECT_EQ(store.puts, 0);
  faults->FailRequest(7, Fault::kResetAfterSend);
  EXPECT_EQ(faults->Send(put).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.puts, 1);
  faults->FailRequest(8, Fault::kTimeout);
  auto timeout = faults->Send(put);
  EXPECT_EQ(store.puts, 2);
  EXPECT_TRUE(IsRetryable(timeout.status()));
  EXPECT_NE(timeout.status().message().find("Timeout was reached"), std::string::npos);

  // A 500 after sending: the store acted, the caller is told to try again.
  faults->FailRequest(9, Fault::k500AfterSend);
  const HttpRequest put2 = Request("PUT", "https://h/b/k", "newer");
  EXPECT_EQ(faults->Send(put2)->status, 500);
  EXPECT_EQ(store.puts, 3);
  EXPECT_EQ(store.data, "newer");

  faults->FailRequest(10, Fault::k500, /*and_after=*/true);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(faults->Send(get)->status, 500) << "from 10 on";
  faults->Clear();
  EXPECT_EQ(faults->Send(get)->status, 200);
  // Two requests, then none.
  faults->FailRequests(14, 2, Fault::k503);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(faults->Send(get)->status, 503) << 14 + i;
  EXPECT_EQ(faults->Send(get)->status, 200) << 16;

  // The record: numbers, methods, URLs without their query, faults and answers.
  auto seen = faults->exchanges();
  ASSERT_EQ(seen.size(), 16u);
  EXPECT_EQ(faults->requests(), 16);
  EXPECT_EQ(seen[1].number, 2);
  EXPECT_EQ(seen[1].fault, Fault::k503);
  EXPECT_EQ(seen[1].status, 503);
  EXPECT_EQ(seen[3].fault, Fault::kTruncatedBody);
  EXPECT_EQ(seen[3].status, 0) << "a transport error";
  EXPECT_EQ(seen[6].method, "PUT");
  EXPECT_EQ(seen[8].fault, Fault::k500AfterSend);
  EXPECT_EQ(seen[12].fault, Fault::kNone);
  EXPECT_EQ(seen[14].fault, Fault::k503);
  EXPECT_EQ(seen[15].fault, Fault::kNone);
  for (const auto& e : seen) EXPECT_EQ(e.url, "https://h/b/k") << "no signature recorded";
  faults->Restart();
  EXPECT_EQ(faults->requests(), 0);
  EXPECT_TRUE(faults->exchanges().empty());
}

TEST(FaultTransport, SpeaksEachStoresDialect) {
  Store store;
  const HttpRequest get = Request("GET", "https://h/c/k");
  FaultTransport azure(store.transport, FaultDialect::kAzure);
  azure.FailRequest(1, Fault::k503, true);
  EXPECT_EQ(DescribeHttpFailure(*azure.Send(get)), "HTTP 503 ServerBusy (The server is busy.)");
  azure.FailRequest(2, Fault::k500);
  EXPECT_EQ(DescribeHttpFailure(*azure.Send(get)),
            "HTTP 500 InternalError (The server encountered an internal error.)");
  FaultTransport gcs(store.transport, FaultDialect::kGcs);
  gcs.FailRequest(1, Fault::k503);
  EXPECT_EQ(DescribeHttpFailure(*gcs.Send(get)), "HTTP 503 backendError (Service Unavailable)");
  FaultTransport s3(store.transport, FaultDialect::kS3);
  s3.FailRequest(1, Fault::k500);
  EXPECT_EQ(DescribeHttpFailure(*s3.Send(get)),
            "HTTP 500 InternalError (We encountered an internal error. Please try again.)");
  EXPECT_EQ(FaultName(Fault::kResetBeforeSend), "reset before sending");
}

}  // namespace
}  // namespace strm
