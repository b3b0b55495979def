// What the Beast side of the HTTP server shares (http_server.cc, websocket_connection.h): a
// connection as the server sees it, to drain or close, and the state that the server and its
// connections share. Internal to the server's translation unit: include it from
// http_server.cc only (Beast's templates are slow to compile).
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "server/http_server.h"

namespace strm::server::beast_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

class Connection {
 public:
  virtual ~Connection() = default;
  virtual void Drain() = 0;  // on its strand: finish what is in progress, then close
  virtual void Close() = 0;  // on its strand: close now
  virtual asio::any_io_executor Executor() = 0;  // its strand
};

// What the server and every connection share. The event loop lives here, so that a Responder
// called after the server stopped posts into a loop that never runs, instead of a dead one.
struct Shared {
  HttpServerOptions options;
  HttpHandler handler;
  WebSocketHandler websockets;
  asio::io_context ioc;
  // The loop must not return while it waits only for Responders (no I/O pending): Stop ends it.
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::optional<asio::ssl::context> tls;
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::map<Connection*, std::weak_ptr<Connection>> connections;

  void Add(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mu);
    connections[c.get()] = c;
  }
  void Remove(Connection* c) {
    std::lock_guard lock(mu);
    connections.erase(c);
  }
  std::vector<std::shared_ptr<Connection>> All() {
    std::lock_guard lock(mu);
    std::vector<std::shared_ptr<Connection>> out;
    for (auto& [p, w] : connections)
      if (auto c = w.lock()) out.push_back(std::move(c));
    return out;
  }
};

template <class Stream>
tcp::socket::lowest_layer_type& Socket(Stream& s) {
  return beast::get_lowest_layer(s).socket();
}

}  // namespace strm::server::beast_internal
