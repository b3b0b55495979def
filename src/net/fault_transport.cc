#include "net/fault_transport.h"

#include "net/memory_transport.h"

namespace strm {

std::string_view FaultName(Fault fault) {
  switch (fault) {
    case Fault::kNone:
      return "none";
    case Fault::k503:
      return "503";
    case Fault::k500:
      return "500";
    case Fault::k500AfterSend:
      return "500 after sending";
    case Fault::kResetBeforeSend:
      return "reset before sending";
    case Fault::kResetAfterSend:
      return "reset after sending";
    case Fault::kTimeout:
      return "timeout";
    case Fault::kTruncatedBody:
      return "truncated body";
  }
  return "?";
}

FaultTransport::FaultTransport(std::shared_ptr<HttpTransport> inner, FaultDialect dialect)
    : inner_(std::move(inner)), dialect_(dialect) {}

void FaultTransport::FailRequest(int n, Fault fault, bool and_after) {
  std::lock_guard<std::mutex> lock(mu_);
  first_ = n;
  last_ = and_after ? INT_MAX : n;
  fault_ = fault;
}

void FaultTransport::FailRequests(int n, int count, Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  first_ = n;
  last_ = count > 0 ? n + count - 1 : n - 1;
  fault_ = fault;
}

void FaultTransport::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  fault_ = Fault::kNone;
}

void FaultTransport::Restart() {
  std::lock_guard<std::mutex> lock(mu_);
  count_ = 0;
  seen_.clear();
}

std::vector<FaultTransport::Exchange> FaultTransport::exchanges() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

int FaultTransport::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

Result<HttpResponse> FaultTransport::Send(const HttpRequest& request) {
  return Perform(request, nullptr);
}

Result<HttpResponse> FaultTransport::Stream(const HttpRequest& request, const HttpBodySink& sink) {
  return Perform(request, &sink);
}

HttpResponse FaultTransport::ErrorAnswer(int status) const {
  const bool busy = status == 503;
  HttpResponse r;
  r.status = status;
  switch (dialect_) {
    case FaultDialect::kS3:
      r.headers = {{"content-type", "application/xml"}};
      r.body = busy ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                      "<Message>Please reduce your request rate.</Message></Error>"
                    : "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError"
                      "</Code><Message>We encountered an internal error. Please try again."
                      "</Message></Error>";
      break;
    case FaultDialect::kAzure: {
      const std::string code = busy ? "ServerBusy" : "InternalError";
      r.headers = {{"content-type", "application/xml"}, {"x-ms-error-code", code}};
      r.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code +
               "</Code><Message>" +
               (busy ? "The server is busy." : "The server encountered an internal error.") +
               "\nRequestId:00000000-0000-0000-0000-000000000000\nTime:2024-01-01T00:00:00."
               "0000000Z</Message></Error>";
      break;
    }
    case FaultDialect::kGcs:
      r.headers = {{"content-type", "application/json; charset=UTF-8"}};
      r.body = std::string("{\"error\": {\"code\": ") + std::to_string(status) +
               ", \"message\": \"" + (busy ? "Service Unavailable" : "Internal Error") +
               "\", \"errors\": [{\"message\": \"Backend Error\", \"domain\": \"global\", "
               "\"reason\": \"backendError\"}]}}";
      break;
  }
  return r;
}

Result<HttpResponse> FaultTransport::Perform(const HttpRequest& request, const HttpBodySink* sink) {
  Fault fault = Fault::kNone;
  size_t index = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int n = ++count_;
    if (fault_ != Fault::kNone && n >= first_ && n <= last_) fault = fault_;
    index = seen_.size();
    seen_.push_back({n, request.method, RedactUrl(request.url), fault, 0});
  }
  auto record = [&](const Result<HttpResponse>& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (index < seen_.size()) seen_[index].status = r.ok() ? r->status : 0;
    return r;
  };
  const std::string what = DescribeRequest(request);
  switch (fault) {
    case Fault::kNone:
      return record(sink != nullptr ? inner_->Stream(request, *sink) : inner_->Send(request));
    case Fault::k503:
    case Fault::k500:
      return record(ErrorAnswer(fault == Fault::k503 ? 503 : 500));
    case Fault::kResetBeforeSend:
      return record(Unavailable(what + " failed: Send failure: Connection reset by peer"));
    case Fault::k500AfterSend:
    case Fault::kResetAfterSend:
    case Fault::kTimeout:
    case Fault::kTruncatedBody:
      break;
  }
  // Forwarded whole; the caller gets less.
  Result<HttpResponse> r = inner_->Send(request);
  if (!r.ok()) return record(r);
  if (fault == Fault::k500AfterSend) return record(ErrorAnswer(500));
  if (fault == Fault::kResetAfterSend)
    return record(Unavailable(what + " failed: Recv failure: Connection reset by peer"));
  if (fault == Fault::kTimeout)
    return record(Unavailable(what +
                              " failed: Timeout was reached: Operation timed out after 30000 "
                              "milliseconds with 0 bytes received"));
  const size_t half = r->body.size() / 2;
  if (sink != nullptr && r->status >= 200 && r->status < 300) {
    Status delivered = DeliverBody(std::string_view(r->body).substr(0, half), *sink, 16 << 10);
    if (!delivered.ok()) return record(delivered);
  }
  return record(Unavailable(what + " failed: Transferred a partial file: transfer closed with " +
                            std::to_string(r->body.size() - half) + " bytes remaining to read"));
}

}  // namespace strm
