// What the HTTP server hands to the platform's routes, whatever the protocol (HTTP/1.1, over
// TLS or not, or HTTP/2 over cleartext): a whole request, and a Responder to answer it once,
// from any thread and at any later time (a long poll, an event's group commit).
#pragma once

#include <cctype>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strm::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/v1/batch-jobs?watch=1"
  std::string path;    // the target before '?'
  std::string query;   // the target after '?' ("" if none)
  std::vector<std::pair<std::string, std::string>> headers;  // names in lowercase
  std::string body;
  std::string protocol;  // "HTTP/1.1", "HTTP/1.0", "h2c", "HTTP/1.1+TLS"

  // The first value of header `name` (lowercase), or "".
  std::string_view Header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return {};
  }
  // The token of an `Authorization: Bearer <token>` header (the scheme's name in any case, RFC
  // 9110), or "" when there is none.
  std::string_view BearerToken() const {
    std::string_view auth = Header("authorization");
    if (auth.size() <= 7) return {};
    for (size_t i = 0; i < 6; ++i)
      if (std::tolower(static_cast<unsigned char>(auth[i])) != "bearer"[i]) return {};
    return auth[6] == ' ' ? auth.substr(7) : std::string_view();
  }
  // The value of query parameter `name` (not percent-decoded), or "".
  std::string_view Param(std::string_view name) const {
    std::string_view q = query;
    while (!q.empty()) {
      std::string_view pair = q.substr(0, q.find('&'));
      q.remove_prefix(std::min(q.size(), pair.size() + 1));
      std::string_view key = pair.substr(0, pair.find('='));
      if (key == name) return pair.size() > key.size() ? pair.substr(key.size() + 1) : "";
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;
};

// An answer of the HTTP layer itself (413, 431, 400), before any handler:
// {"error": {"code": STATUS, "message": MESSAGE}}, with `message` free of quotes.
inline HttpResponse LayerError(int status, std::string_view message) {
  return {status,
          {{"Content-Type", "application/json"}},
          R"({"error":{"code":)" + std::to_string(status) + R"(,"message":")" +
              std::string(message) + R"("}})"};
}

// A WebSocket connection that the server accepted (RFC 6455), for sending text messages: each
// SendText is one message, in order. Thread-safe. `queued` counts the messages not yet
// written, so that a sender can drop a reader that does not keep up; Close ends the connection
// (a normal closure), after what is queued.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  virtual void SendText(std::string message) = 0;
  virtual void Close() = 0;
  virtual bool closed() const = 0;
  virtual size_t queued() const = 0;
};

// What a WebSocket route says to an upgrade request: `refuse` it with an HTTP answer (401,
// 404...), or accept it: `opened` is called once the handshake is done, `closed` once the
// connection ends, whoever ended it. Called on the event loop: must not block.
struct WebSocketDecision {
  std::optional<HttpResponse> refuse;
  std::function<void(std::shared_ptr<WebSocket>)> opened;
  std::function<void()> closed;
};
using WebSocketHandler = std::function<WebSocketDecision(const HttpRequest&)>;

// Answers one request; must be called exactly once. Thread-safe.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&&, Responder)>;

}  // namespace strm::server
