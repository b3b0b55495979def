// A WebSocket client (RFC 6455) for ws:// and wss:// URLs, with Boost.Beast: connects with
// the headers given (an Authorization header, say), then reads text messages one at a time,
// each Read waiting at most as long as its caller allows (so that a caller can look at Ctrl-C
// between two). Over wss:// the server's certificate must chain to a trusted CA (the system's,
// or those of `ca_file`) and name the host. Not thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace strm {

class WebSocketClient {
 public:
  // Unavailable naming the URL and the cause when it cannot connect; PermissionDenied with
  // the server's answer (status and body) when the server refuses the upgrade with 401 or 403;
  // InvalidArgument for a URL that is not ws[s]://HOST[:PORT]/PATH. `ca_file`: PEM CA
  // certificates to trust instead of the system's.
  static Result<std::unique_ptr<WebSocketClient>> Connect(
      const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
      std::chrono::milliseconds timeout, const std::string& ca_file = "");
  ~WebSocketClient();

  // The next message, or nothing when `wait` passed first. NotFound "closed" once the server
  // closed the connection (normally); Unavailable when it broke.
  Result<std::optional<std::string>> Read(std::chrono::milliseconds wait);

 private:
  struct State;
  explicit WebSocketClient(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace strm
