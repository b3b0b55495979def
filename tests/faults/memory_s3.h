// MemoryS3: S3's REST API as the S3 store speaks it, served from memory (a MemoryObjects) for
// tests that run whole jobs against S3 without a server: one bucket, addressed path-style at
// kS3TwinEndpoint. Signatures are not checked (s3rver does that in the store's own tests).
//
//   HEAD, GET (Range, If-Match), PUT and DELETE of objects; CopyObject and UploadPartCopy
//   (x-amz-copy-source, -range and -if-match); multipart uploads (create, parts, complete,
//   abort); ListObjectsV2 (prefix, max-keys, continuation-token); HEAD of the bucket.
//
// Errors are S3's XML documents: NoSuchKey, NoSuchUpload, InvalidPart, PreconditionFailed,
// InvalidRange. ETags are "\"g<generation>\"". Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "memory_objects.h"
#include "protocol_twin.h"

namespace strm::testing {

inline constexpr char kS3TwinEndpoint[] = "http://s3.test";

class MemoryS3 final : public ProtocolTwin {
 public:
  MemoryS3(MemoryObjects& objects, std::string bucket);

  Result<HttpResponse> Handle(const HttpRequest& request, const std::string& body) override;

  size_t PendingUploads() const override;

 private:
  struct Upload {
    std::string key;
    std::map<int, std::string> parts;  // number -> bytes
  };

  HttpResponse Object(const HttpRequest& request, const std::string& key, const std::string& body);
  HttpResponse Copy(const HttpRequest& request, const std::string& key);
  HttpResponse Multipart(const HttpRequest& request, const std::string& key,
                         const std::string& upload_id, const std::string& body);
  HttpResponse List(const HttpRequest& request);

  MemoryObjects& objects_;
  const std::string bucket_;
  mutable std::mutex mu_;
  std::map<std::string, Upload> uploads_;
  int next_upload_ = 1;
};

}  // namespace strm::testing
