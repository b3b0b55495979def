// ProtocolTwin: a store's HTTP API served from memory (memory_objects.h), to be the handler of
// a MemoryTransport: MemoryS3, MemoryGcs and MemoryAzure. Implementations are thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "net/http_transport.h"

namespace strm::testing {

class ProtocolTwin {
 public:
  virtual ~ProtocolTwin() = default;

  // One exchange: the answer, or a transport error for a host the twin does not serve.
  virtual Result<HttpResponse> Handle(const HttpRequest& request, const std::string& body) = 0;

  // Uploads started and neither completed nor cancelled (S3's multipart uploads, GCS's
  // resumable sessions); 0 where the store keeps none (Azure's uncommitted blocks expire).
  virtual size_t PendingUploads() const { return 0; }
};

}  // namespace strm::testing
