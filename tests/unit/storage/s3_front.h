// S3Front: an HTTP front for s3rver in the S3 store's tests. It forwards requests, records
// them, injects the faults a real S3 shows now and then, and answers the
// AbortMultipartUpload that s3rver lacks.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sigv4.h"
#include "testing/s3rver.h"
#include "testing/test_http_server.h"

namespace strm::s3_testing {

namespace fs = std::filesystem;
using testing::S3rver;

enum class Fault {
  kForward,
  kUnavailable,       // 503 ServiceUnavailable
  kSlowDown,          // 503 <Code>SlowDown</Code>
  kDrop,              // the connection breaks before the response is complete
  kForwardThenDrop,   // s3rver does the work, the response is lost
  kInternalError200,  // 200 OK whose body is an <Error> InternalError (not forwarded)
  kInvalidPart200,    // 200 OK whose body is an <Error> InvalidPart (not forwarded)
};

struct SeenRequest {
  std::string method, target, range, content_sha256;
  std::string copy_source, copy_range, copy_if_match;  // x-amz-copy-source{,-range,-if-match}
  size_t body_size = 0;
  bool body_hash_matches = false;
  int attempt = 0;  // the how-many-th time this method, target and range came

  bool Is(std::string_view m, std::string_view query_part) const {
    return method == m && target.find(query_part) != std::string::npos;
  }
};

class S3Front {
 public:
  using Plan = std::function<Fault(const SeenRequest&)>;

  explicit S3Front(Plan plan) : plan_(std::move(plan)) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res);
    };
    server_->Get(".*", handler);  // and HEAD
    server_->Put(".*", handler);
    server_->Post(".*", handler);
    server_->Delete(".*", handler);
    server_.Start();
  }
  std::string Url() const { return server_.Url(""); }
  std::vector<SeenRequest> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  std::vector<std::string> aborted_uploads() {
    std::lock_guard<std::mutex> lock(mu_);
    return aborted_;
  }
  int Count(std::string_view method, std::string_view query_part) {
    int n = 0;
    for (const SeenRequest& s : seen()) n += s.Is(method, query_part);
    return n;
  }

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  // Headers that belong to one hop, and httplib's pseudo headers.
  static bool HopHeader(const std::string& name) {
    static const char* const kHop[] = {"content-length",    "connection",  "keep-alive",
                                       "transfer-encoding", "remote_addr", "remote_port",
                                       "local_addr",        "local_port",  "content-type"};
    const std::string n = Lower(name);
    for (const char* h : kHop)
      if (n == h) return true;
    return false;
  }
  static void ErrorBody(httplib::Response& res, int status, const std::string& code) {
    res.status = status;
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
                        "</Code><Message>injected by the test</Message></Error>",
                    "application/xml");
  }
  static void Drop(httplib::Response& res) {
    // Announce a body, then fail to produce it: httplib closes the connection mid-response.
    res.headers.clear();
    res.body.clear();
    res.status = 200;
    res.set_content_provider(1000, "application/octet-stream",
                             [](size_t, size_t, httplib::DataSink&) { return false; });
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    // httplib would apply the request's Range to whatever body we answer with (s3rver's 206
    // range, or an error document) a second time.
    const_cast<httplib::Request&>(req).ranges.clear();
    SeenRequest s;
    s.method = req.method;
    s.target = req.target;
    s.range = req.get_header_value("Range");
    s.content_sha256 = req.get_header_value("x-amz-content-sha256");
    s.copy_source = req.get_header_value("x-amz-copy-source");
    s.copy_range = req.get_header_value("x-amz-copy-source-range");
    s.copy_if_match = req.get_header_value("x-amz-copy-source-if-match");
    s.body_size = req.body.size();
    s.body_hash_matches = s.content_sha256 == Sha256Hex(req.body);
    {
      std::lock_guard<std::mutex> lock(mu_);
      s.attempt = ++attempts_[s.method + " " + s.target + " " + s.range];
      seen_.push_back(s);
    }
    switch (plan_ ? plan_(s) : Fault::kForward) {
      case Fault::kUnavailable:
        return ErrorBody(res, 503, "ServiceUnavailable");
      case Fault::kSlowDown:
        return ErrorBody(res, 503, "SlowDown");
      case Fault::kInternalError200:
        return ErrorBody(res, 200, "InternalError");
      case Fault::kInvalidPart200:
        return ErrorBody(res, 200, "InvalidPart");
      case Fault::kDrop:
        return Drop(res);
      case Fault::kForward:
        return Forward(req, res);
      case Fault::kForwardThenDrop:
        Forward(req, res);
        return Drop(res);
    }
  }

  void Forward(const httplib::Request& req, httplib::Response& res) {
    if (req.method == "DELETE" && req.has_param("uploadId")) return EmulateAbort(req, res);
    // s3rver answers a CompleteMultipartUpload of an unknown upload with 500 InternalError.
    if (req.method == "POST" && req.has_param("uploadId") && !UploadExists(req))
      return ErrorBody(res, 404, "NoSuchUpload");
    httplib::Client upstream("127.0.0.1", S3rver::Get().port());
    upstream.set_url_encode(false);  // the target is encoded (and signed) already
    upstream.set_read_timeout(30, 0);
    httplib::Request out;
    out.method = req.method;
    out.path = req.target;
    for (const auto& [name, value] : req.headers)
      if (!HopHeader(name)) out.headers.emplace(name, value);  // Host included: it is signed
    if (req.has_header("Content-Type"))
      out.headers.emplace("Content-Type", req.get_header_value("Content-Type"));
    out.body = req.body;
    auto r = upstream.send(out);
    if (!r) return ErrorBody(res, 502, "BadGateway");
    res.status = r->status;
    for (const auto& [name, value] : r->headers)
      if (!HopHeader(name)) res.set_header(name, value);
    if (req.method == "HEAD") {
      res.set_header("Content-Length", r->get_header_value("Content-Length"));
    } else {
      res.set_content(r->body, r->get_header_value("Content-Type"));
    }
  }

  static bool UploadExists(const httplib::Request& req) {
    const std::string id = req.get_param_value("uploadId");
    std::error_code ec;
    return !id.empty() && id.find('/') == std::string::npos &&
           fs::is_directory(fs::path(S3rver::Get().uploads_dir()) / id, ec);
  }

  // s3rver 4.0.4 answers AbortMultipartUpload with 405 MethodNotAllowed (and
  // ListMultipartUploads with 501); do on its data directory what S3 would do.
  void EmulateAbort(const httplib::Request& req, httplib::Response& res) {
    if (!UploadExists(req)) return ErrorBody(res, 404, "NoSuchUpload");
    const std::string id = req.get_param_value("uploadId");
    std::error_code ec;
    fs::remove_all(fs::path(S3rver::Get().uploads_dir()) / id, ec);
    {
      std::lock_guard<std::mutex> lock(mu_);
      aborted_.push_back(id);
    }
    res.status = 204;
  }

  Plan plan_;
  TestServer server_;
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
  std::map<std::string, int> attempts_;
  std::vector<std::string> aborted_;
};

}  // namespace strm::s3_testing
