// MemoryGcs: Google Cloud Storage's JSON API as the GCS store speaks it, served from memory (a
// MemoryObjects) for tests that run whole jobs against GCS without a server: one bucket at
// kGcsTwinEndpoint, and the OAuth token endpoint kGcsTwinTokenUri (it hands out a token for
// any JWT: gcs_server.js checks their signatures in the store's own tests).
//
//   GET    /storage/v1/b/B/o?prefix&maxResults&pageToken     list
//   GET    /storage/v1/b/B/o/NAME[?alt=media[&generation=G]]  metadata, or bytes (Range)
//   DELETE /storage/v1/b/B/o/NAME
//   POST   /storage/v1/b/B/o/NAME/rewriteTo/b/B/o/NAME2      rewrite, done in one call
//   POST   /upload/storage/v1/b/B/o?uploadType=media|resumable&name=NAME
//   PUT    a session URI with Content-Range "bytes a-b/T|*" or "bytes */T|*"; DELETE cancels it
//
// Requests need "Authorization: Bearer <a token it issued>" (else 401). Errors are GCS's JSON
// documents with its reasons (notFound, required, invalid). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "memory_objects.h"
#include "protocol_twin.h"

namespace strm::testing {

inline constexpr char kGcsTwinEndpoint[] = "http://gcs.test";
inline constexpr char kGcsTwinTokenUri[] = "http://gcs.test/token";

class MemoryGcs final : public ProtocolTwin {
 public:
  MemoryGcs(MemoryObjects& objects, std::string bucket);

  Result<HttpResponse> Handle(const HttpRequest& request, const std::string& body) override;

  size_t PendingUploads() const override;

 private:
  struct Session {
    std::string name;
    std::string data;  // what it holds so far
    bool finished = false;
  };

  HttpResponse Token(const std::string& body);
  HttpResponse List(const HttpRequest& request);
  HttpResponse Object(const HttpRequest& request, const std::string& name);
  HttpResponse Rewrite(const std::string& from, const std::string& to);
  HttpResponse Upload(const HttpRequest& request, const std::string& body);
  HttpResponse SessionPut(const HttpRequest& request, const std::string& id,
                          const std::string& body);

  MemoryObjects& objects_;
  const std::string bucket_;
  mutable std::mutex mu_;
  std::map<std::string, Session> sessions_;
  int next_session_ = 1;
  int tokens_ = 0;
};

}  // namespace strm::testing
