// A WebSocket (RFC 6455) that an HTTP/1.1 connection of the server was upgraded to
// (http_types.h's WebSocket). Internal to the server's translation unit: include it from
// http_server.cc only.
#pragma once

#include <boost/beast/websocket.hpp>

#include <deque>
#include <string>

#include "server/beast_connection.h"

namespace strm::server::beast_internal {

namespace websocket = beast::websocket;
namespace http = beast::http;

// A WebSocket (RFC 6455) that an HTTP/1.1 connection was upgraded to. Messages from the peer
// are read and dropped (Beast answers pings and closes); text messages go out in order, one
// write at a time, on the connection's strand.
template <class Stream>
class WsConnection final : public Connection,
                           public std::enable_shared_from_this<WsConnection<Stream>> {
 public:
  WsConnection(std::shared_ptr<Shared> shared, Stream stream, WebSocketDecision decision)
      : shared_(std::move(shared)), ws_(std::move(stream)), decision_(std::move(decision)) {}
  ~WsConnection() override { shared_->Remove(this); }

  // What the route holds: a handle that outlives nothing (a weak reference).
  class Handle final : public WebSocket {
   public:
    explicit Handle(std::weak_ptr<WsConnection> c) : c_(std::move(c)) {}
    void SendText(std::string message) override {
      if (auto c = c_.lock()) c->Enqueue(std::move(message));
    }
    void Close() override {
      if (auto c = c_.lock()) asio::post(c->Executor(), [c] { c->Drain(); });
    }
    bool closed() const override {
      auto c = c_.lock();
      return !c || c->finished_.load();
    }
    size_t queued() const override {
      auto c = c_.lock();
      return c ? c->queued_.load() : 0;
    }

   private:
    std::weak_ptr<WsConnection> c_;
  };

  void Accept(http::request<http::string_body> request) {
    shared_->Add(this->shared_from_this());
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts from here
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    auto req = std::make_shared<http::request<http::string_body>>(std::move(request));
    ws_.async_accept(*req, [self = this->shared_from_this(), req](error_code ec) {
      if (ec) return self->Finish();
      if (self->decision_.opened)
        self->decision_.opened(std::make_shared<Handle>(self->weak_from_this()));
      self->Read();
    });
  }

  void Drain() override {  // a normal closure, after what is queued
    close_after_ = true;
    if (!writing_) StartClose();
  }
  void Close() override { Finish(); }
  asio::any_io_executor Executor() override { return ws_.get_executor(); }

 private:
  void Enqueue(std::string message) {
    if (finished_) return;
    ++queued_;
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), m = std::move(message)]() mutable {
                 if (self->finished_ || self->close_after_) {
                   --self->queued_;
                   return;
                 }
                 self->out_.push_back(std::move(m));
                 if (!self->writing_) self->Write();
               });
  }

  void Write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(out_.front()),
                    [self = this->shared_from_this()](error_code ec, size_t) {
                      self->writing_ = false;
                      self->out_.pop_front();
                      --self->queued_;
                      if (ec) return self->Finish();
                      if (!self->out_.empty()) return self->Write();
                      if (self->close_after_) self->StartClose();
                    });
  }

  void StartClose() {
    if (finished_ || closing_) return;
    closing_ = true;
    ws_.async_close(websocket::close_code::normal,
                    [self = this->shared_from_this()](error_code) { self->Finish(); });
  }

  void Read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](error_code ec, size_t) {
      if (ec) return self->Finish();
      self->buffer_.consume(self->buffer_.size());
      self->Read();
    });
  }

  void Finish() {
    if (finished_.exchange(true)) return;
    error_code ec;
    Socket(ws_.next_layer()).shutdown(tcp::socket::shutdown_both, ec);
    Socket(ws_.next_layer()).close(ec);
    shared_->Remove(this);
    queued_ -= out_.size();
    out_.clear();
    if (decision_.closed) decision_.closed();
  }

  std::shared_ptr<Shared> shared_;
  websocket::stream<Stream> ws_;
  WebSocketDecision decision_;
  beast::flat_buffer buffer_;
  std::deque<std::string> out_;
  std::atomic<size_t> queued_{0};
  std::atomic<bool> finished_{false};
  bool writing_ = false, closing_ = false, close_after_ = false;
};

}  // namespace strm::server::beast_internal
