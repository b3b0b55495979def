// AWS Signature Version 4 (SigV4) request signing, for S3 and S3-compatible stores: pure
// functions over strings, no I/O, thread-safe. See
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html.
//
// The signer owns the encoding of what it signs, so that what is sent is exactly what was
// signed: the caller passes the raw (unencoded) path and raw query parameters, and must put
// the returned `canonical_uri` and `query_string` into the request URL unchanged (curl sends
// the query string as given and does not re-encode the path).
//   path:  the raw object path ("/bucket/a b.csv"); each byte other than RFC 3986 unreserved
//          characters and '/' becomes %XX (uppercase hex), once — the S3 rule. Other AWS
//          services encode each segment twice and normalise "." and ".."; that is not done
//          here (strm only talks to S3), so use such paths only when they need no encoding.
//   query: raw key/value pairs, encoded like the path but with '/' encoded too, then sorted
//          by encoded key, and by encoded value for equal keys; a key with an empty value is
//          written "key=".
// Header names are lowercased and sorted; values are trimmed and inner runs of spaces and
// tabs collapse to one space; repeated names are joined with ','. The signer adds and signs
// host, x-amz-date, x-amz-content-sha256 (unless turned off) and x-amz-security-token (when
// there is a session token); the caller must not pass those, nor Authorization.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace strm {

// Name/value pairs in the caller's order: query parameters or HTTP headers.
using Sigv4Pairs = std::vector<std::pair<std::string, std::string>>;

// The payload hash value S3 accepts instead of the hex SHA-256 of the body.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// Sha256Hex("") : the payload hash of an empty body.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Sigv4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only; empty otherwise
};

struct Sigv4Request {
  std::string method = "GET";  // uppercase
  std::string host;        // as curl sends it in Host: "bucket.s3.amazonaws.com", "127.0.0.1:9000"
  std::string path = "/";  // raw, starting with '/'; empty means "/"
  Sigv4Pairs query;        // raw, any order
  Sigv4Pairs headers;      // any case, any order; signed and sent as given
  // Lowercase hex SHA-256 of the body (Sha256Hex), or kUnsignedPayload.
  std::string payload_hash = std::string(kEmptyPayloadHash);
  // S3 requires the x-amz-content-sha256 header; the generic AWS services do not use it.
  bool content_sha256_header = true;
};

struct Sigv4Signature {
  std::string canonical_uri;  // the encoded path: put it in the URL as is
  std::string query_string;   // the canonical query string: put it in the URL as is
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;range;x-amz-content-sha256;x-amz-date"
  std::string signature;       // lowercase hex
  std::string authorization;   // the value of the Authorization header
  // Headers the caller must add to the request besides Authorization (and besides Host,
  // which curl derives from the URL): x-amz-date, x-amz-content-sha256 and
  // x-amz-security-token, as signed.
  Sigv4Pairs headers_to_add;
};

// Signs `request` for `region` ("us-east-1") and `service` ("s3") at `time`.
// InvalidArgument for a missing key, region, service or host, a malformed method, path or
// payload hash, a header that the signer owns, or a header name or value that cannot be
// sent (control characters, line breaks). Messages never contain the secret or the token.
Result<Sigv4Signature> SignSigv4(const Sigv4Request& request, const Sigv4Credentials& credentials,
                                 std::string_view region, std::string_view service,
                                 std::chrono::sys_seconds time);

// AWS URI encoding: RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~) are kept, '/' is
// kept when `keep_slash`, every other byte (UTF-8 bytes of non-ASCII text included) becomes
// %XX with uppercase hex.
std::string AwsUriEncode(std::string_view raw, bool keep_slash);

// The canonical query string of raw parameters (see the header comment), which is also the
// query string to send: "max-keys=2&prefix=J". Empty for no parameters.
std::string CanonicalQueryString(const Sigv4Pairs& params);

// "20130524T000000Z": the x-amz-date form of a UTC time.
std::string AmzDate(std::chrono::sys_seconds time);

// Lowercase hex SHA-256 of `data` (the payload hash of a body).
std::string Sha256Hex(std::string_view data);

}  // namespace strm
