#include "net/memory_transport.h"

#include <algorithm>

namespace strm {
namespace {

constexpr size_t kMaxErrorBody = 1 << 20;

Result<std::string> ReadBody(const HttpRequest& request) {
  if (!request.body_source.read) return std::string(request.body);
  std::string body;
  body.resize(request.body_source.size);
  size_t got = 0;
  while (got < body.size()) {
    STRM_ASSIGN_OR_RETURN(size_t n, request.body_source.read(body.data() + got, body.size() - got));
    if (n == 0)
      return InvalidArgument(DescribeRequest(request) + ": the body source ended after " +
                             std::to_string(got) + " of its " + std::to_string(body.size()) +
                             " bytes");
    got += n;
  }
  return body;
}

}  // namespace

Status DeliverBody(std::string_view body, const HttpBodySink& sink, size_t chunk_size) {
  chunk_size = std::max<size_t>(chunk_size, 1);
  for (size_t at = 0; at < body.size(); at += chunk_size)
    STRM_RETURN_IF_ERROR(sink(body.substr(at, chunk_size)));
  return Status::Ok();
}

MemoryTransport::MemoryTransport(Handler handler, size_t chunk_size)
    : handler_(std::move(handler)), chunk_size_(chunk_size) {}

Result<HttpResponse> MemoryTransport::Send(const HttpRequest& request) {
  STRM_ASSIGN_OR_RETURN(std::string body, ReadBody(request));
  return handler_(request, body);
}

Result<HttpResponse> MemoryTransport::Stream(const HttpRequest& request, const HttpBodySink& sink) {
  if (!sink) return InvalidArgument(DescribeRequest(request) + ": streaming needs a body sink");
  STRM_ASSIGN_OR_RETURN(HttpResponse r, Send(request));
  if (r.status < 200 || r.status >= 300) {
    if (r.body.size() > kMaxErrorBody) r.body.resize(kMaxErrorBody);
    return r;
  }
  STRM_RETURN_IF_ERROR(DeliverBody(r.body, sink, chunk_size_));
  r.body.clear();
  return r;
}

}  // namespace strm
