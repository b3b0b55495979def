// The Beast/Asio side of the HTTP server: accepting, telling HTTP/1.1 from h2c, TLS, timeouts,
// draining. One translation unit, because Beast's templates are slow to compile. The HTTP/2
// protocol itself is in http2_session.cc.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "server/beast_connection.h"
#include "server/http2_session.h"
#include "server/websocket_connection.h"

namespace strm::server {
namespace {

using namespace beast_internal;  // NOLINT: the server's own internal pieces
namespace http = beast::http;
namespace websocket = beast::websocket;

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// HTTP/1.x over a TCP stream, or over TLS. One request at a time: the next is read once the
// response is written.
template <class Stream>
class Http1Connection final : public Connection,
                              public std::enable_shared_from_this<Http1Connection<Stream>> {
 public:
  Http1Connection(std::shared_ptr<Shared> shared, Stream stream, beast::flat_buffer buffer,
                  std::string protocol)
      : shared_(std::move(shared)),
        stream_(std::move(stream)),
        buffer_(std::move(buffer)),
        protocol_(std::move(protocol)) {}
  ~Http1Connection() override { shared_->Remove(this); }

  void Run() {
    shared_->Add(this->shared_from_this());
    ReadHeader();
  }

  void Drain() override {
    if (!busy_) return Close();
    close_after_ = true;
  }
  asio::any_io_executor Executor() override { return stream_.get_executor(); }
  // The connection stops counting as open here: a Responder still held may keep the object.
  void Close() override {
    error_code ec;
    Socket(stream_).shutdown(tcp::socket::shutdown_both, ec);
    Socket(stream_).close(ec);
    shared_->Remove(this);
  }

 private:
  void ReadHeader() {
    if (shared_->draining) return Close();
    busy_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(shared_->options.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(error_code ec) {
    busy_ = true;
    if (ec) return OnReadError(ec);
    beast::get_lowest_layer(stream_).expires_after(shared_->options.request_timeout);
    auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_ = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      asio::async_write(stream_, asio::buffer(*continue_),
                        [self = this->shared_from_this()](error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->OnRequest();
                     });
  }

  void OnReadError(error_code ec) {
    if (ec == http::error::body_limit)
      return Fail(413, "the request body is larger than the server accepts");
    if (ec == http::error::header_limit)
      return Fail(431, "the request's headers are larger than the server accepts");
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::ssl::error::stream_truncated || !busy_)
      return Close();
    Fail(400, "the request is not valid HTTP");
  }

  // Answers an error the connection cannot recover from, then closes it.
  void Fail(int status, std::string_view message) {
    keep_alive_ = false;
    version_ = 11;
    Send(LayerError(status, message));
  }

  void OnRequest() {
    auto& req = parser_->get();
    if (shared_->websockets && websocket::is_upgrade(req)) return Upgrade();
    HttpRequest r = TakeRequest();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    beast::get_lowest_layer(stream_).expires_never();  // the handler may take its time
    auto self = this->shared_from_this();
    shared_->handler(std::move(r), [self](HttpResponse response) {
      asio::dispatch(
          self->stream_.get_executor(),
          [self, response = std::move(response)]() mutable { self->Send(std::move(response)); });
    });
  }

  // The route decides: an HTTP answer (and the connection closes), or the stream goes on as a
  // WebSocket and this connection ends here.
  void Upgrade() {
    auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = false;
    WebSocketDecision decision = shared_->websockets(TakeRequest(/*keep_body=*/false));
    if (decision.refuse) return Send(std::move(*decision.refuse));
    shared_->Remove(this);
    auto ws =
        std::make_shared<WsConnection<Stream>>(shared_, std::move(stream_), std::move(decision));
    ws->Accept(parser_->release());
  }

  HttpRequest TakeRequest(bool keep_body = true) {
    auto& req = parser_->get();
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    const size_t q = r.target.find('?');
    r.path = r.target.substr(0, q);
    r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (keep_body) r.body = std::move(req.body());
    r.protocol = protocol_ + (req.version() == 10 ? "/1.0" : "/1.1");
    if (protocol_ == "HTTP+TLS") r.protocol = req.version() == 10 ? "HTTP/1.0+TLS" : "HTTP/1.1+TLS";
    return r;
  }

  void Send(HttpResponse response) {
    const bool keep = keep_alive_ && !close_after_ && !shared_->draining;
    if (response.status == 204 && response.headers.empty() && version_ == 11 && keep) {
      // The answer to every event taken: its bytes are always these, so they are not
      // formatted per request.
      static constexpr std::string_view kNoContent = "HTTP/1.1 204 No Content\r\n\r\n";
      beast::get_lowest_layer(stream_).expires_after(shared_->options.request_timeout);
      asio::async_write(stream_, asio::buffer(kNoContent.data(), kNoContent.size()),
                        [self = this->shared_from_this()](error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadHeader();
                        });
      return;
    }
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep);
    if (response.status != 204 && response.status != 304) {
      res->body() = std::move(response.body);
      res->prepare_payload();
    }
    beast::get_lowest_layer(stream_).expires_after(shared_->options.request_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keep](error_code ec, size_t) {
                        if (ec || !keep) return self->Close();
                        self->ReadHeader();
                      });
  }

  std::shared_ptr<Shared> shared_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::string protocol_;  // "HTTP" or "HTTP+TLS"
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<std::string> continue_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool busy_ = false;         // a request is being read or answered
  bool close_after_ = false;  // draining: close once the response is written
};

// HTTP/2 over cleartext, prior knowledge.
class Http2Connection final : public Connection,
                              public std::enable_shared_from_this<Http2Connection> {
 public:
  Http2Connection(std::shared_ptr<Shared> shared, beast::tcp_stream stream)
      : shared_(std::move(shared)), stream_(std::move(stream)) {}
  ~Http2Connection() override { shared_->Remove(this); }

  void Run(std::string_view first_bytes) {
    shared_->Add(shared_from_this());
    std::weak_ptr<Http2Connection> weak = shared_from_this();
    session_.emplace(
        [this, weak](int32_t id, HttpRequest&& request) {
          shared_->handler(std::move(request), [weak, id](HttpResponse response) {
            auto self = weak.lock();
            if (!self) return;
            asio::post(self->stream_.get_executor(),  // not inside nghttp2's callbacks
                       [self, id, response = std::move(response)]() mutable {
                         if (self->closed_) return;
                         self->session_->Respond(id, std::move(response));
                         self->Flush();
                       });
          });
        },
        shared_->options.max_body_bytes, shared_->options.max_streams);
    if (!session_->Feed(first_bytes)) {
      Flush();
      return Close();
    }
    Flush();
    Read();
  }

  void Drain() override {
    if (closed_) return;
    session_->GoAway();
    Flush();
  }
  asio::any_io_executor Executor() override { return stream_.get_executor(); }
  void Close() override {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    shared_->Remove(this);
  }

 private:
  void Read() {
    stream_.expires_after(shared_->options.idle_timeout);
    stream_.async_read_some(asio::buffer(read_buffer_),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              if (ec) return self->Close();
                              if (!self->session_->Feed({self->read_buffer_.data(), n})) {
                                self->Flush();
                                return self->Close();
                              }
                              self->Flush();
                              if (!self->closed_) self->Read();
                            });
  }

  void Flush() {
    if (writing_ || closed_) return;
    write_buffer_ = session_->TakeOutput();
    if (write_buffer_.empty()) {
      if (!session_->Alive()) Close();
      return;
    }
    writing_ = true;
    asio::async_write(stream_, asio::buffer(write_buffer_),
                      [self = shared_from_this()](error_code ec, size_t) {
                        self->writing_ = false;
                        if (ec) return self->Close();
                        self->Flush();
                      });
  }

  std::shared_ptr<Shared> shared_;
  beast::tcp_stream stream_;
  std::optional<Http2Session> session_;
  std::array<char, 16384> read_buffer_;
  std::string write_buffer_;
  bool writing_ = false;
  bool closed_ = false;
};

// Reads the first bytes of a cleartext connection: the HTTP/2 preface, or HTTP/1.x.
class Detector : public std::enable_shared_from_this<Detector> {
 public:
  Detector(std::shared_ptr<Shared> shared, beast::tcp_stream stream)
      : shared_(std::move(shared)), stream_(std::move(stream)) {}

  void Run() {
    stream_.expires_after(shared_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              if (ec) return;
                              self->buffer_.commit(n);
                              self->Decide();
                            });
  }

 private:
  void Decide() {
    std::string_view got(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const size_t common = std::min(got.size(), kPreface.size());
    if (got.substr(0, common) == kPreface.substr(0, common)) {
      if (got.size() < kPreface.size()) return Run();  // a partial preface: read on
      auto c = std::make_shared<Http2Connection>(shared_, std::move(stream_));
      c->Run(got);
      return;
    }
    std::make_shared<Http1Connection<beast::tcp_stream>>(shared_, std::move(stream_),
                                                         std::move(buffer_), "HTTP")
        ->Run();
  }

  std::shared_ptr<Shared> shared_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

class TlsHandshake : public std::enable_shared_from_this<TlsHandshake> {
 public:
  TlsHandshake(std::shared_ptr<Shared> shared, tcp::socket socket)
      : shared_(std::move(shared)), stream_(std::move(socket), *shared_->tls) {}

  void Run() {
    beast::get_lowest_layer(stream_).expires_after(shared_->options.request_timeout);
    stream_.async_handshake(
        asio::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
          if (ec) return;  // not TLS, or a bad client: nothing to answer
          std::make_shared<Http1Connection<beast::ssl_stream<beast::tcp_stream>>>(
              self->shared_, std::move(self->stream_), beast::flat_buffer(), "HTTP+TLS")
              ->Run();
        });
  }

 private:
  std::shared_ptr<Shared> shared_;
  beast::ssl_stream<beast::tcp_stream> stream_;
};

class BeastServer final : public HttpServer {
 public:
  explicit BeastServer(std::shared_ptr<Shared> shared)
      : shared_(std::move(shared)), acceptor_(asio::make_strand(shared_->ioc)) {}

  ~BeastServer() override { Stop(std::chrono::milliseconds(0)); }

  Status Listen() {
    error_code ec;
    auto address = asio::ip::make_address(shared_->options.host, ec);
    if (ec)
      return InvalidArgument("--listen: '" + shared_->options.host + "' is not an IP address");
    tcp::endpoint endpoint(address, shared_->options.port);
    const std::string where = shared_->options.host + ":" + std::to_string(shared_->options.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    Accept();
    const int n = std::max(shared_->options.threads, 1);
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { shared_->ioc.run(); });
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void StopAccepting() override {
    if (shared_->draining.exchange(true)) return;
    asio::post(acceptor_.get_executor(), [this] {
      error_code ec;
      acceptor_.close(ec);
      accept_pause_.cancel();
    });
    for (auto& c : shared_->All()) PostTo(c, &Connection::Drain);
  }

  void Stop(std::chrono::milliseconds grace) override {
    if (stopped_.exchange(true)) return;
    StopAccepting();
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (open_connections() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (auto& c : shared_->All()) PostTo(c, &Connection::Close);
    // Let the closes run, then stop the loop: pending handlers go with it.
    const auto close_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (open_connections() > 0 && std::chrono::steady_clock::now() < close_deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    shared_->work.reset();
    shared_->ioc.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    // Completions of the closed sockets' operations may still be queued, each holding its
    // connection, which holds the io_context: run them, so that the connections go.
    shared_->ioc.restart();
    shared_->ioc.poll();
  }

  size_t open_connections() const override {
    std::lock_guard lock(shared_->mu);
    return shared_->connections.size();
  }

 private:
  static void PostTo(const std::shared_ptr<Connection>& c, void (Connection::*what)()) {
    // Each connection's handlers run on its strand; so must this.
    asio::post(c->Executor(), [c, what] { (c.get()->*what)(); });
  }

  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(shared_->ioc), [this](error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
          if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
              ec == asio::error::no_memory) {
            // Out of file descriptors: wait for connections to close rather than spin.
            accept_pause_.expires_after(std::chrono::milliseconds(50));
            accept_pause_.async_wait([this](error_code wait_ec) {
              if (!wait_ec && acceptor_.is_open()) Accept();
            });
            return;
          }
          if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            if (shared_->tls) {
              std::make_shared<TlsHandshake>(shared_, std::move(socket))->Run();
            } else {
              std::make_shared<Detector>(shared_, beast::tcp_stream(std::move(socket)))->Run();
            }
          }
          Accept();
        });
  }

  std::shared_ptr<Shared> shared_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_pause_{acceptor_.get_executor()};
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler,
                                                      WebSocketHandler websockets) {
  auto shared = std::make_shared<Shared>();
  shared->options = options;
  shared->handler = std::move(handler);
  shared->websockets = std::move(websockets);
  if (options.tls_cert_file || options.tls_key_file) {
    if (!options.tls_cert_file || !options.tls_key_file)
      return InvalidArgument("TLS needs both --tls-cert and --tls-key");
    shared->tls.emplace(asio::ssl::context::tls_server);
    error_code ec;
    shared->tls->use_certificate_chain_file(*options.tls_cert_file, ec);
    if (ec)
      return InvalidArgument("--tls-cert: cannot load '" + *options.tls_cert_file +
                             "': " + ec.message());
    shared->tls->use_private_key_file(*options.tls_key_file, asio::ssl::context::pem, ec);
    if (ec)
      return InvalidArgument("--tls-key: cannot load '" + *options.tls_key_file +
                             "' (or it does not match the certificate): " + ec.message());
  }
  auto server = std::make_unique<BeastServer>(shared);
  STRM_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace strm::server
