// MemoryAzure: Azure Blob Storage's REST API as the Azure store speaks it, served from memory
// (a MemoryObjects) for tests that run whole jobs against Azure without a server: one
// container of the account kAzureTwinAccountUri, and the Entra ID token endpoint under
// kAzureTwinAuthority (client-credentials; it hands out a token for any client).
//
//   HEAD, GET (Range, If-Match), PUT (Put Blob) and DELETE of blobs; Put Block and Put Block
//   List (<Latest> ids looked up among the blob's uncommitted blocks, then its committed
//   ones); Copy Blob From URL (x-ms-requires-sync) and Put Block From URL (x-ms-copy-source,
//   x-ms-source-range, x-ms-source-if-match; the source must be read with a bearer token,
//   x-ms-copy-source-authorization); List Blobs (prefix, marker, maxresults).
//
// Requests need "Authorization: Bearer <a token it issued>" (else 401). Errors are Azure's XML
// documents, their code also in x-ms-error-code: BlobNotFound, ConditionNotMet,
// CannotVerifyCopySource, InvalidBlockList, InvalidRange. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "memory_objects.h"
#include "protocol_twin.h"

namespace strm::testing {

inline constexpr char kAzureTwinAccountUri[] = "https://twinacct.blob.test";
inline constexpr char kAzureTwinAuthority[] = "https://login.test";

class MemoryAzure final : public ProtocolTwin {
 public:
  MemoryAzure(MemoryObjects& objects, std::string container);

  Result<HttpResponse> Handle(const HttpRequest& request, const std::string& body) override;

 private:
  using Blocks = std::map<std::string, std::string>;  // block id -> bytes

  HttpResponse Token(const std::string& body);
  HttpResponse List(const HttpRequest& request);
  HttpResponse Blob(const HttpRequest& request, const std::string& name, const std::string& body);
  // The bytes a copy request asks for (x-ms-copy-source, -range, -if-match), or the error.
  HttpResponse CopySource(const HttpRequest& request, std::string& data);

  MemoryObjects& objects_;
  const std::string container_;
  mutable std::mutex mu_;
  std::map<std::string, Blocks> uncommitted_, committed_;  // by blob name
  int tokens_ = 0;
};

}  // namespace strm::testing
