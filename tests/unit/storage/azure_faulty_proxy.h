// FaultyProxy: a plain-HTTP proxy in front of Azurite (HTTPS) for azure_store_test.cc, which
// injects faults into chosen requests and records every request that passed.
#pragma once

#include <httplib.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "testing/test_http_server.h"

namespace strm {

// A plain-HTTP proxy in front of Azurite that injects faults into matching requests and records
// what passed.
class FaultyProxy {
 public:
  enum class Fault { k503ServerBusy, k500ServerBusy, kDrop, kTruncate };

  FaultyProxy(int azurite_port, const std::string& ca_file) : upstream_("127.0.0.1", azurite_port) {
    upstream_.set_ca_cert_path(ca_file.c_str());
    upstream_.enable_server_certificate_verification(true);
    upstream_.set_url_encode(false);  // targets are forwarded as they came
    upstream_.set_keep_alive(true);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Forward(req, res);
    };
    server_->Get(".*", handler);
    server_->Put(".*", handler);
    server_->Delete(".*", handler);
    server_->Post(".*", handler);
    server_.Start();
  }

  std::string Url(std::string_view path) const { return server_.Url(path); }

  // The next `count` requests whose "METHOD target" contains `match` get `fault` (-1: all).
  void Arm(std::string match, Fault fault, int count = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.push_back({std::move(match), fault, count});
  }
  void Disarm() {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.clear();
  }
  std::vector<httplib::Request> Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  int Count(std::string_view match) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const httplib::Request& r : seen_)
      if ((r.method + " " + r.target).find(match) != std::string::npos) ++n;
    return n;
  }

 private:
  struct Rule {
    std::string match;
    Fault fault;
    int count;
  };

  void Forward(const httplib::Request& req, httplib::Response& res) {
    // Azurite answers Range itself; httplib would cut the answer again by the same range.
    const_cast<httplib::Request&>(req).ranges.clear();
    std::optional<Fault> fault;
    {
      std::lock_guard<std::mutex> lock(mu_);
      httplib::Request copy;
      copy.method = req.method;
      copy.target = req.target;
      copy.headers = req.headers;
      seen_.push_back(std::move(copy));
      const std::string line = req.method + " " + req.target;
      for (auto it = rules_.begin(); it != rules_.end(); ++it) {
        if (line.find(it->match) == std::string::npos) continue;
        fault = it->fault;
        if (it->count > 0 && --it->count == 0) rules_.erase(it);
        break;
      }
    }
    if (fault == Fault::k503ServerBusy || fault == Fault::k500ServerBusy) {
      const bool is503 = fault == Fault::k503ServerBusy;
      res.status = is503 ? 503 : 500;
      res.set_header("x-ms-error-code", "ServerBusy");
      res.set_content(
          "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>"
          "The server is busy.</Message></Error>",
          "application/xml");
      return;
    }
    if (fault == Fault::kDrop) {  // headers, then the connection closes: a truncated response
      res.set_content_provider(1000, "application/xml",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    httplib::Request up;
    up.method = req.method;
    up.path = req.target;
    for (const auto& [name, value] : req.headers) {
      // httplib's client sets Content-Length from the body (and adds a second one, which
      // Node refuses with a bare 400, to an empty PUT that has one already).
      if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
          name == "LOCAL_PORT" || name == "Host" || name == "Connection" ||
          name == "Content-Length")
        continue;
      up.headers.emplace(name, value);
    }
    up.body = req.body;
    httplib::Result r = [&] {
      std::lock_guard<std::mutex> lock(upstream_mu_);
      return upstream_.send(up);
    }();
    if (!r) {
      res.status = 502;
      return;
    }
    res.status = r->status;
    std::string content_type = "application/octet-stream";
    for (const auto& [name, value] : r->headers) {
      if (name == "Content-Type") {
        content_type = value;
      } else if (name != "Content-Length" && name != "Transfer-Encoding" && name != "Connection" &&
                 name != "Keep-Alive") {
        res.headers.emplace(name, value);
      }
    }
    if (fault == Fault::kTruncate) {  // half the body, then the connection closes
      auto body = std::make_shared<std::string>(r->body);
      res.set_content_provider(body->size(), content_type,
                               [body](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset > 0 || body->size() < 2) return false;
                                 sink.write(body->data(), body->size() / 2);
                                 return true;
                               });
      return;
    }
    res.set_content(r->body, content_type);
  }

  TestServer server_;
  httplib::SSLClient upstream_;
  std::mutex upstream_mu_;
  std::mutex mu_;
  std::vector<Rule> rules_;
  std::vector<httplib::Request> seen_;
};

}  // namespace strm
