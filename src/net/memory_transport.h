// MemoryTransport: an HttpTransport that answers from a function, in memory. For tests that
// need precise exchanges: a store's protocol without a server, a reader that must see a
// given sequence of answers, a fault at an exact point.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "net/http_transport.h"

namespace strm {

class MemoryTransport final : public HttpTransport {
 public:
  // Gets each request with its body read whole (from `body`, or from `body_source`, which must
  // deliver its declared size) and returns the answer, or a transport error. It is called on
  // the caller's thread, so it must be thread-safe if the transport is used from several.
  using Handler =
      std::function<Result<HttpResponse>(const HttpRequest& request, const std::string& body)>;

  // Stream hands a 2xx body to the sink in pieces of `chunk_size` bytes.
  explicit MemoryTransport(Handler handler, size_t chunk_size = 16 << 10);

  // The handler's answer. A body source that ends early is InvalidArgument, as with libcurl.
  Result<HttpResponse> Send(const HttpRequest& request) override;
  // The handler's answer; a 2xx body goes to `sink` (the response's body is then empty), any
  // other is kept, cut at 1 MiB. A failing sink stops the exchange with its Status.
  Result<HttpResponse> Stream(const HttpRequest& request, const HttpBodySink& sink) override;

 private:
  const Handler handler_;
  const size_t chunk_size_;
};

// Hands `body` to `sink` in pieces of at most `chunk_size` bytes; the sink's first error.
Status DeliverBody(std::string_view body, const HttpBodySink& sink, size_t chunk_size);

}  // namespace strm
