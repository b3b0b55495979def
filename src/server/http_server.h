// The HTTP server (Boost.Beast/Asio, nghttp2; docs/architecture.md says why): HTTP/1.1 with
// keep-alive, and HTTP/2 over cleartext with prior knowledge on the same port (the client's
// connection preface tells them apart), or HTTP/1.1 over TLS. Every request, whatever its
// protocol, goes whole to one HttpHandler, which answers through its Responder, at once or
// later, from any thread.
//
// Limits are enforced before the handler sees anything: a body over `max_body_bytes` is
// answered 413 (when its Content-Length says so, before it is read), headers over
// `max_header_bytes` 431, a request not received within `request_timeout` and a keep-alive
// connection idle for `idle_timeout` are closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "server/http_types.h"

namespace strm::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see HttpServer::port)
  int threads = 1;       // threads of the event loop
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  uint32_t max_streams = 100;  // concurrent HTTP/2 streams per connection
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds idle_timeout{300'000};
  // HTTP/1.1 over TLS with this certificate chain and key (PEM files); no h2c then.
  std::optional<std::string> tls_cert_file, tls_key_file;
};

class HttpServer {
 public:
  // Binds and starts serving. InvalidArgument for a bad host or TLS file, Unavailable for an
  // address in use (the message names it).
  // `websockets`, when given, decides on every HTTP/1.1 upgrade request to WebSocket
  // (without it, those are ordinary requests for `handler`).
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler,
                                                   WebSocketHandler websockets = nullptr);
  virtual ~HttpServer() = default;  // Stop()

  virtual uint16_t port() const = 0;
  // Draining: no new connection is accepted; keep-alive connections are closed after their
  // next response (HTTP/2: GOAWAY); requests in progress are answered.
  virtual void StopAccepting() = 0;
  // Waits up to `grace` for the open connections to end, then closes them and stops the
  // threads. Responders called after this do nothing.
  virtual void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0)) = 0;
  virtual size_t open_connections() const = 0;
};

}  // namespace strm::server
