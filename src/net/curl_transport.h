// CurlTransport: the HttpTransport of production, over libcurl. One per process is enough
// (platform/connector_store.cc shares one among every store): its pooled connections serve
// them all.
#pragma once

#include <memory>
#include <string>

#include "net/http_transport.h"

namespace strm {

struct CurlTransportOptions {
  // The file of PEM CA certificates to trust instead of the system bundle. Empty means
  // $CURL_CA_BUNDLE, else $SSL_CERT_FILE (CURL_CA_BUNDLE wins if both are set), else
  // libcurl's default bundle. Read once, when the transport is constructed.
  std::string ca_file;
  std::string user_agent = "strm";
  size_t max_idle_handles = 16;  // idle libcurl handles (each with its connections) kept
};

// The CA file that an empty CurlTransportOptions::ca_file means: $CURL_CA_BUNDLE, else
// $SSL_CERT_FILE, else empty (the system's bundle). For other TLS clients of strm's, so that
// one setting trusts a private CA everywhere.
std::string CaFileFromEnvironment();

// Thread-safe: any number of threads may call Send and Stream at once. Each call borrows a
// libcurl handle from a pool and returns it afterwards with its connections open, so
// sequential requests to one host reuse one connection; DNS results and TLS sessions are
// shared by all handles. Redirects are not followed (a signed request must be re-signed for a
// new URL). Proxies set in the environment (https_proxy, no_proxy, ...) are honoured.
// Stream hands the body to the sink in chunks of at most 16 KiB (libcurl 7.88).
// The process should ignore SIGPIPE, as every program that writes to sockets should: with
// signals disabled (CURLOPT_NOSIGNAL, required with threads) libcurl cannot do it for us.
class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request) override;
  Result<HttpResponse> Stream(const HttpRequest& request, const HttpBodySink& sink) override;

  // The CA file in use (see CurlTransportOptions::ca_file); empty for libcurl's default.
  const std::string& ca_file() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strm
