#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include "net/websocket_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <optional>
#include <type_traits>

namespace strm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

}  // namespace

// One of the two kinds of stream, chosen by the URL's scheme.
using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

struct WebSocketClient::State {
  asio::io_context ioc;
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  std::optional<PlainWs> plain;
  std::optional<TlsWs> tls;
  beast::flat_buffer buffer;
  bool reading = false, done = false;
  boost::system::error_code error;
  std::string url;

  template <typename F>
  decltype(auto) With(F&& f) {
    return tls ? f(*tls) : f(*plain);
  }
};

WebSocketClient::WebSocketClient(std::unique_ptr<State> s) : s_(std::move(s)) {}
WebSocketClient::~WebSocketClient() = default;

Result<std::unique_ptr<WebSocketClient>> WebSocketClient::Connect(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout, const std::string& ca_file) {
  const bool secure = url.rfind("wss://", 0) == 0;
  if (!secure && url.rfind("ws://", 0) != 0)
    return InvalidArgument("a WebSocket URL must start with ws:// or wss://, got '" + url + "'");
  const std::string rest = url.substr(secure ? 6 : 5);
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  const std::string host = colon == std::string::npos ? authority : authority.substr(0, colon);
  const std::string port =
      colon == std::string::npos ? (secure ? "443" : "80") : authority.substr(colon + 1);
  if (host.empty()) return InvalidArgument("the WebSocket URL '" + url + "' has no host");

  auto s = std::make_unique<State>();
  s->url = url;
  boost::system::error_code ec;
  if (secure) {
    // The server's certificate must chain to a trusted CA and name the host.
    if (ca_file.empty()) {
      s->tls_context.set_default_verify_paths(ec);
    } else {
      s->tls_context.load_verify_file(ca_file, ec);
    }
    if (ec) return Unavailable("cannot load the CA certificates for " + url + ": " + ec.message());
    s->tls_context.set_verify_mode(asio::ssl::verify_peer);
    s->tls.emplace(s->ioc, s->tls_context);
    s->tls->next_layer().set_verify_callback(asio::ssl::host_name_verification(host));
    if (!SSL_set_tlsext_host_name(s->tls->next_layer().native_handle(), host.c_str()))
      return Unavailable("cannot set the TLS server name for " + url);
  } else {
    s->plain.emplace(s->ioc);
  }
  tcp::resolver resolver(s->ioc);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return Unavailable("cannot reach " + url + ": " + ec.message());
  Status opened = s->With([&](auto& ws) -> Status {
    beast::get_lowest_layer(ws).expires_after(timeout);
    beast::get_lowest_layer(ws).connect(endpoints, ec);
    if (ec) return Unavailable("cannot reach " + url + ": " + ec.message());
    if constexpr (std::is_same_v<std::decay_t<decltype(ws)>, TlsWs>) {
      ws.next_layer().handshake(asio::ssl::stream_base::client, ec);
      if (ec) return Unavailable("cannot open " + url + ": TLS: " + ec.message());
    }
    ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    websocket::response_type res;
    ws.handshake(res, authority, target, ec);
    if (ec) {
      const int status = static_cast<int>(res.result_int());
      std::string body = res.body();
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
      const std::string answer = status ? "the server answered " + std::to_string(status) +
                                              (body.empty() ? "" : ": " + body)
                                        : ec.message();
      if (status == 401 || status == 403) return PermissionDenied(url + " refused: " + answer);
      return Unavailable("cannot open " + url + ": " + answer);
    }
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    return Status::Ok();
  });
  STRM_RETURN_IF_ERROR(opened);
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
    s.With([&s](auto& ws) {
      ws.async_read(s.buffer, [&s](boost::system::error_code ec, size_t) {
        s.reading = false;
        if (ec) {
          s.done = true;
          s.error = ec;
        }
      });
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
