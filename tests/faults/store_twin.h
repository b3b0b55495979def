// StoreTwin: a remote store whose protocol is served in memory (memory_s3.h, memory_gcs.h,
// memory_azure.h) behind a FaultTransport, and the store's own connector over it: the real
// S3, GCS or Azure store code, every request through the net layer (retries, tokens, ranged
// reads, uploads), without a server. For tests that fail chosen requests of whole jobs.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "memory_objects.h"
#include "net/fault_transport.h"
#include "net/retry_policy.h"
#include "protocol_twin.h"
#include "storage/object_store.h"

namespace strm::testing {

enum class Remote { kS3, kGcs, kAzure };

// "S3", "GCS", "Azure": how the connector's messages name its store.
std::string_view RemoteName(Remote remote);
// For test listings.
inline void PrintTo(Remote remote, std::ostream* out) { *out << RemoteName(remote); }

// The bucket (S3, GCS) or container (Azure) of every twin.
inline constexpr char kTwinBucket[] = "faults";

class StoreTwin {
 public:
  // Every connector opened over the twin retries by `retry`. With `small_parts`, the
  // connectors read and write in the smallest pieces their stores allow: Azure in 1 KiB
  // blocks and ranges, GCS in ranges of 512 bytes (its chunks and S3's parts cannot go below
  // 256 KiB and 5 MiB), so that even the demo's files take several requests each, some of
  // them on the uploads' own threads.
  StoreTwin(Remote remote, RetryPolicy retry, bool small_parts = false);
  ~StoreTwin();

  Remote remote() const { return remote_; }
  MemoryObjects& objects() { return objects_; }
  FaultTransport& faults() { return *faults_; }

  // A new connector over the twin, with a token cache of its own (so its first request, for
  // GCS and Azure, is a token request).
  Result<std::shared_ptr<ObjectStore>> Open() const;

  // How the connector's messages name the object `key`: "s3://faults/k", "gs://faults/k",
  // "azure://twinacct/faults/k".
  std::string Uri(std::string_view key) const;
  // The object that a request URL addresses (as recorded by FaultTransport, without query),
  // or "" when it addresses none: a token request, a listing, an upload session.
  std::string KeyOf(std::string_view url) const;
  // Uploads started and neither completed nor cancelled (ProtocolTwin::PendingUploads).
  size_t PendingUploads() const { return server_->PendingUploads(); }

 private:
  const Remote remote_;
  const RetryPolicy retry_;
  const bool small_parts_;
  MemoryObjects objects_;
  std::unique_ptr<ProtocolTwin> server_;
  std::shared_ptr<FaultTransport> faults_;
};

}  // namespace strm::testing
