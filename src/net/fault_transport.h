// FaultTransport: wraps any HttpTransport and fails chosen requests with chosen faults, for
// the fault tests of the stores and of whole jobs; it records every request it saw, so a test
// can count the requests of a run and name the one it failed.
//
// Requests are numbered from 1 in the order they reach the transport (Send and Stream alike,
// token requests included), across all threads. A rule fails request N, the `count` requests
// from N on, or every request from N on, with one of:
//   k503             not forwarded; 503 with the store's "slow down" error document
//   k500             not forwarded; 500 with the store's internal-error document
//   k500AfterSend    forwarded (the store acts on it), then 500 with the store's
//                    internal-error document instead of its answer: a commit that took effect
//                    although the caller is told to try again
//   kResetBeforeSend not forwarded; kUnavailable "Connection reset by peer"
//   kResetAfterSend  forwarded (the store acts on it), then kUnavailable "Connection reset by
//                    peer": the answer is lost
//   kTimeout         forwarded, then kUnavailable "Timeout was reached": the answer is lost
//   kTruncatedBody   forwarded; then the answer's body is cut in half: Stream hands the sink
//                    the first half of a 2xx body, and both Send and Stream fail as
//                    kUnavailable "transfer closed with N bytes remaining to read"
// Error documents follow the store's dialect: S3 (<Error><Code>SlowDown</Code>...),
// Azure (x-ms-error-code: ServerBusy and its XML) or GCS (JSON {"error": {...}}).
//
// Thread-safe. The inner transport is shared, and must outlive nothing: it is held.
#pragma once

#include <climits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_transport.h"

namespace strm {

enum class Fault {
  kNone,
  k503,
  k500,
  k500AfterSend,
  kResetBeforeSend,
  kResetAfterSend,
  kTimeout,
  kTruncatedBody
};
enum class FaultDialect { kS3, kAzure, kGcs };

// "503", "500", "500 after sending", "reset before sending", "reset after sending", "timeout",
// "truncated body".
std::string_view FaultName(Fault fault);

class FaultTransport final : public HttpTransport {
 public:
  FaultTransport(std::shared_ptr<HttpTransport> inner, FaultDialect dialect);

  // Fails request `n` (from 1) with `fault`; with `and_after`, every request from `n` on.
  // Replaces the rule set before.
  void FailRequest(int n, Fault fault, bool and_after = false);
  // Fails the `count` requests n, n + 1, ... with `fault` (the tries of one request under a
  // retry policy of `count` attempts, when nothing else runs meanwhile). Replaces the rule set
  // before.
  void FailRequests(int n, int count, Fault fault);
  // No more faults; the numbering and the record go on.
  void Clear();
  // Forgets the record and numbers the next request 1 (the rule stays).
  void Restart();

  struct Exchange {
    int number = 0;
    std::string method;
    std::string url;  // redacted (RedactUrl): no query string
    Fault fault = Fault::kNone;
    int status = 0;  // of the answer the caller got; 0 for a transport error
  };
  std::vector<Exchange> exchanges() const;
  int requests() const;

  Result<HttpResponse> Send(const HttpRequest& request) override;
  Result<HttpResponse> Stream(const HttpRequest& request, const HttpBodySink& sink) override;

 private:
  Result<HttpResponse> Perform(const HttpRequest& request, const HttpBodySink* sink);
  HttpResponse ErrorAnswer(int status) const;

  const std::shared_ptr<HttpTransport> inner_;
  const FaultDialect dialect_;
  mutable std::mutex mu_;
  int first_ = 0, last_ = 0;  // requests first_..last_ fail with fault_
  Fault fault_ = Fault::kNone;
  int count_ = 0;
  std::vector<Exchange> seen_;
};

}  // namespace strm
