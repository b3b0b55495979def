// TestServer: a cpp-httplib server on an ephemeral port of 127.0.0.1 for the storage tests
// (HTTP client, retries, object-store connectors).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace strm {

// A cpp-httplib server on an ephemeral port of 127.0.0.1, serving from its own thread. Declare
// it before the transport that talks to it: the transport must go first, closing its kept-alive
// connections, or stopping the server waits for them to time out.
class TestServer {
 public:
  explicit TestServer(std::unique_ptr<httplib::Server> server = nullptr)
      : server_(server ? std::move(server) : std::make_unique<httplib::Server>()) {
    std::signal(SIGPIPE, SIG_IGN);  // a peer that hung up is an error value, not a signal
    server_->set_keep_alive_max_count(1000);
    server_->set_tcp_nodelay(true);  // no 40 ms Nagle/delayed-ACK stall per response
  }
  ~TestServer() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }
  httplib::Server& operator*() { return *server_; }
  httplib::Server* operator->() { return server_.get(); }

  // Call after registering the handlers.
  void Start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() is a no-op until the accept loop runs.
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string Url(std::string_view path, std::string_view scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace strm
