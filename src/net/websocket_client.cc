#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include "net/websocket_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace strm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

}  // namespace

struct WebSocketClient::State {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool reading = false, done = false;
  boost::system::error_code error;
  std::string url;
};

WebSocketClient::WebSocketClient(std::unique_ptr<State> s) : s_(std::move(s)) {}
WebSocketClient::~WebSocketClient() = default;

Result<std::unique_ptr<WebSocketClient>> WebSocketClient::Connect(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout) {
  if (url.rfind("wss://", 0) == 0)
    return InvalidArgument("wss:// URLs are not supported yet; use ws:// (" + url + ")");
  if (url.rfind("ws://", 0) != 0)
    return InvalidArgument("a WebSocket URL must start with ws://, got '" + url + "'");
  const std::string rest = url.substr(5);
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  const std::string host = colon == std::string::npos ? authority : authority.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (host.empty()) return InvalidArgument("the WebSocket URL '" + url + "' has no host");

  auto s = std::make_unique<State>();
  s->url = url;
  boost::system::error_code ec;
  tcp::resolver resolver(s->ioc);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return Unavailable("cannot reach " + url + ": " + ec.message());
  beast::get_lowest_layer(s->ws).expires_after(timeout);
  beast::get_lowest_layer(s->ws).connect(endpoints, ec);
  if (ec) return Unavailable("cannot reach " + url + ": " + ec.message());
  s->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  websocket::response_type res;
  s->ws.handshake(res, authority, target, ec);
  if (ec) {
    const int status = static_cast<int>(res.result_int());
    std::string body = res.body();
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    const std::string answer =
        status ? "the server answered " + std::to_string(status) + (body.empty() ? "" : ": " + body)
               : ec.message();
    if (status == 401 || status == 403) return PermissionDenied(url + " refused: " + answer);
    return Unavailable("cannot open " + url + ": " + answer);
  }
  beast::get_lowest_layer(s->ws).expires_never();
  s->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(s)));
}

Result<std::optional<std::string>> WebSocketClient::Read(std::chrono::milliseconds wait) {
  State& s = *s_;
  if (s.done) {
    if (s.error == websocket::error::closed) return NotFound("closed");
    return Unavailable("the connection to " + s.url + " broke: " + s.error.message());
  }
  if (!s.reading) {
    s.reading = true;
    s.ws.async_read(s.buffer, [&s](boost::system::error_code ec, size_t) {
      s.reading = false;
      if (ec) {
        s.done = true;
        s.error = ec;
      }
    });
  }
  s.ioc.restart();
  s.ioc.run_for(wait);
  if (s.reading) return std::optional<std::string>();
  if (s.done) return Read(wait);
  std::string message = beast::buffers_to_string(s.buffer.data());
  s.buffer.consume(s.buffer.size());
  return std::optional<std::string>(std::move(message));
}

}  // namespace strm
