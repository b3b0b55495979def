// GcsStore: an ObjectStore over a Google Cloud Storage bucket, through the JSON API
// (https://cloud.google.com/storage/docs/json_api) over an HttpTransport. Keys are object names.
//
// Auth: the service account's RS256 JWT (jwt.h, scope kGcsReadWriteScope) is exchanged at
// the key's token_uri for an access token (the OAuth "JWT bearer" grant, net/oauth_token.h).
// The token is cached and shared by every request and stream of the store (net/token_cache.h:
// fetched again when less than min(5 min, half its lifetime) is left, one fetch at a time),
// and dropped when the server answers 401 (the request is then sent once more with a fresh
// token).
//
// Requests (every one under net/retry_policy.h):
//   List      GET    /storage/v1/b/B/o?prefix=P&maxResults=N[&pageToken=T], every page
//   OpenRead  GET    /storage/v1/b/B/o/NAME?alt=media with "Range: bytes=a-b", read_size
//                    bytes a range, the next fetched while one is read, the generation of
//                    the first answer pinned for the rest (net/ranged_reader.h: a replaced
//                    object fails the read instead of mixing versions); 404 is NotFound
//   OpenWrite net/chunked_upload.h: nothing until the data passes one chunk, then a resumable
//             upload: POST /upload/storage/v1/b/B/o?uploadType=resumable&name=NAME opens a
//             session, each full chunk is PUT to it with "Content-Range: bytes a-b/*"
//             (answered 308) on a thread of its own while the next fills, and Commit() sends
//             the last one with the total size, which is when the object appears. A write that
//             fits in one chunk is a single uploadType=media POST at Commit(). Abort(),
//             destruction and failures cancel an open session (DELETE, answered 499). An
//             exchange of a chunk that fails asks the session what it persisted
//             ("Content-Range: bytes */*", or "*/TOTAL" for the last chunk) and sends only the
//             rest. Memory per stream: two chunks.
//   Copy      POST   /storage/v1/b/B/o/FROM/rewriteTo/b/B/o/TO (objects.rewrite), again with
//                    each answer's rewriteToken until it says done: TO is replaced, whole,
//                    by the last call; 404 (FROM is missing) is NotFound
//   Delete    DELETE /storage/v1/b/B/o/NAME; 404 is OK
// Object names are percent-encoded whole (GcsEncode: '/' too, as the JSON API wants). Names
// must be 1-1024 bytes of UTF-8 without CR or LF and not "." or "..", Google's rules.
//
// Errors have net/http_status.h's shape: "GCS GET gs://b/in/x.csv: HTTP 403 forbidden (Access
// denied.)", "GCS PUT gs://b/out/x.csv (upload part 3) failed after 5 attempts: HTTP 503
// backendError (...)". A refused token request names the token_uri, the service account and
// the OAuth error ("... was refused: HTTP 400 invalid_grant (Invalid JWT Signature.)").
// Nothing says the private key, the JWT or an access token, nor a session URI (a capability).
//
// One ambiguity is left, as with any remote commit: if the last chunk reached Google but every
// answer to it and to the status queries after it was lost, Commit() fails although the whole
// object was created (never a part of it).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_transport.h"
#include "net/retry_policy.h"
#include "storage/connector_credentials.h"
#include "storage/object_store.h"

namespace strm {

inline constexpr std::string_view kGcsDefaultEndpoint = "https://storage.googleapis.com";
inline constexpr std::string_view kGcsReadWriteScope =
    "https://www.googleapis.com/auth/devstorage.read_write";
inline constexpr size_t kGcsChunkUnit = 256 * 1024;  // resumable chunks are multiples of it

struct GcsStoreOptions {
  std::string bucket;
  GcsCredentials credentials;           // service-account key: client_email, private_key, token_uri
  std::shared_ptr<HttpTransport> http;  // null: a CurlTransport of the store's own
  RetryPolicy retry;
  size_t chunk_size = 8 << 20;  // resumable-upload chunk, a multiple of kGcsChunkUnit
  // The JSON API's "scheme://host[:port]"; empty: ResolveGcsEndpoint's choice.
  std::string endpoint;
  size_t read_size = 8 << 20;  // bytes per ranged GET of a read stream (its buffer)
  int list_page_size = 1000;   // maxResults of a List page (Google's maximum); tests use less
  HttpTimeouts timeouts;       // of every request
  // maxBytesRewrittenPerCall of Copy's rewrite calls, a multiple of 1 MiB; 0 (the default)
  // leaves it to Google. Tests set it to cross several calls.
  size_t rewrite_bytes_per_call = 0;
};

// Checks the options (bucket name, chunk size, a usable RSA key, an http(s) token_uri) and
// makes the store; no request is sent until the first operation. Thread-safe, as
// ObjectStore promises; streams keep what they need alive, so they may outlive the store.
Result<std::shared_ptr<ObjectStore>> OpenGcsStore(GcsStoreOptions options);

// The endpoint to use: `configured` if not empty ("http://host:port" or "https://host[:port]"),
// else `emulator_host` (the value of $STORAGE_EMULATOR_HOST; null or empty if unset) as
// Google's client libraries read it: "host:port" means "http://host:port", and
// "http://host:port" or "https://host:port" is taken as it is; else kGcsDefaultEndpoint. A
// trailing '/' is dropped; a path, query, user info or other scheme is InvalidArgument.
// Unlike Google's libraries, strm still authenticates against an emulator, at the key's
// token_uri.
Result<std::string> ResolveGcsEndpoint(std::string_view configured, const char* emulator_host);

// PercentEncode (net/http_transport.h), '/' included ("a b/c" -> "a%20b%2Fc"): object names in
// URL paths and every query value.
std::string GcsEncode(std::string_view text);

}  // namespace strm
