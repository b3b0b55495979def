// HttpTransport: the one HTTP interface under every object-store connector (S3, GCS, Azure
// Blob). Requests are plain structs that the caller signs (SigV4, bearer tokens) before
// sending; a transport sends exactly the headers it is given. Implementations:
// CurlTransport (libcurl, curl_transport.h), MemoryTransport (answers from a function, for
// tests, memory_transport.h) and FaultTransport (wraps another and fails chosen requests,
// fault_transport.h).
//
// Errors are values. A response of any status, 4xx and 5xx included, is a successful Result:
// the caller reads the status and the body (S3, Azure and GCS put their error code there)
// and decides; retry_policy.h and http_status.h classify both. Only a transport failure is an
// error Status, and its code says whether a retry may help:
//   kUnavailable         the exchange broke in flight: connection refused or reset, a DNS
//                        failure, a timeout (connect, stall or total), a truncated response;
//                        a retry may help
//   kFailedPrecondition  TLS could not be set up or the peer not verified (unknown CA, bad or
//                        expired certificate, wrong host name, unreadable CA file); a retry
//                        will not help
//   kInvalidArgument     the request cannot be sent (malformed URL, a scheme other than http
//                        or https, a body source that ends before its declared size)
//   kInternal            the transport failed in an unexpected way
// The message is DescribeRequest(request) + " failed: " + the cause, e.g. "GET
// https://host/bucket/key failed: Timeout was reached: Operation too slow. Less than 1
// bytes/sec transferred the last 30 seconds" (TransportCause gives back the cause). Errors
// returned by the caller's own sink or body source come back unchanged.
//
// Nothing is logged, headers least of all: they carry credentials.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace strm {

struct HttpHeader {
  std::string name;
  std::string value;
};
using HttpHeaders = std::vector<HttpHeader>;

struct HttpTimeouts {
  // TCP connect and TLS handshake; 0 means libcurl's default of 300 s.
  std::chrono::milliseconds connect{10'000};
  // The exchange fails once fewer than 1 byte per second moved for this long (libcurl's
  // low-speed limit; whole seconds). It also fires while the caller's sink or body source
  // blocks, so a consumer must not stall for longer. 0 disables it.
  std::chrono::seconds stall{30};
  std::chrono::milliseconds total{0};  // the whole exchange; 0 means no limit
};

// A streaming request body whose size is known up front (S3, GCS and Azure all want a
// Content-Length). `read` has InputStream::Read's contract: it fills up to `n` bytes and
// returns how many, 0 only at the end; it must deliver exactly `size` bytes in all (it is never
// asked for more). `rewind`, if set, restarts it at the first byte: libcurl needs that when
// it resends a request on a fresh connection because a kept-alive one turned out dead; without
// it such a resend fails as kUnavailable. A caller that retries (retry_policy.h) builds a fresh
// source, or rewinds, for each attempt.
struct HttpBodySource {
  uint64_t size = 0;
  std::function<Result<size_t>(char* buf, size_t n)> read;
  std::function<Status()> rewind;
};

struct HttpRequest {
  std::string method = "GET";  // sent as given: GET, HEAD, PUT, POST, DELETE, ...
  std::string url;             // absolute http:// or https:// URL, query already encoded
  // Sent as given, in order. libcurl adds Host and Content-Length (and User-Agent unless one
  // is given); it adds no Accept, Expect or Content-Type header of its own.
  HttpHeaders headers;
  // The body: `body` (not owned; it must outlive the call), or `body_source` when its `read`
  // is set (then `body` must be empty). PUT and POST always send a Content-Length, 0 for no
  // body; other methods send a body only when one is given.
  std::string_view body;
  HttpBodySource body_source;
  HttpTimeouts timeouts;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased, values trimmed, in the order received
  // Send: the whole body. Stream: empty for a 2xx response (the sink had it), else the error
  // document, cut at 1 MiB.
  std::string body;

  // The value of the first header named `lower_name`, or nullptr.
  const std::string* FindHeader(std::string_view lower_name) const;
};

// Receives a 2xx response's body chunk by chunk, in order. An error stops the exchange.
using HttpBodySink = std::function<Status(std::string_view chunk)>;

// Implementations are thread-safe: any number of threads may call Send and Stream at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Sends `request` and returns the response with its whole body.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;

  // Sends `request` and hands a 2xx response's body to `sink` as it arrives, in chunks, never
  // buffering it: memory stays bounded whatever the size of the object. Any other status's
  // body is collected into the response instead (cut at 1 MiB), so it can be classified. If
  // `sink` fails, the exchange stops and its Status is returned. If the exchange breaks after
  // some chunks, the sink has seen a prefix of the body (and the error is kUnavailable); a
  // caller that retries asks for the rest (Range: bytes=<received>-) or starts over
  // (ranged_reader.h does this).
  virtual Result<HttpResponse> Stream(const HttpRequest& request, const HttpBodySink& sink) = 0;
};

// `url` without user info, query string and fragment, for messages:
// "https://user:pw@host/b/k?X-Amz-Signature=..." -> "https://host/b/k".
std::string RedactUrl(std::string_view url);

// Percent-encodes every byte but the unreserved A-Z a-z 0-9 - . _ ~ (RFC 3986), and '/' too
// unless `keep_slash`: the one encoding of S3 (SigV4's URI encoding), GCS (object names in
// paths, query and form values) and Azure (blob names, query values). "a b/ü" -> "a%20b%2F%C3%BC".
std::string PercentEncode(std::string_view text, bool keep_slash = false);

// The inverse of PercentEncode, for what the services send encoded (Azure's Encoded="true"
// blob names): "%XY" becomes the byte 0xXY (either case); a '%' without two hex digits after
// it, and '+', stay as they are.
std::string PercentDecode(std::string_view text);

// "PUT https://host/bucket/key": the method and the redacted URL, for messages.
std::string DescribeRequest(const HttpRequest& request);

// The cause of a transport error, without the "<METHOD> <url> failed: " that transports put
// first ("Couldn't connect to server"); other messages are returned whole.
std::string TransportCause(const Status& status);

}  // namespace strm
