// S3Store: an ObjectStore over a bucket of AWS S3 or of any S3-compatible store (MinIO, Ceph,
// GCS interoperability, s3rver). The store's root is the bucket: keys are object keys.
//
// Every request is signed with SigV4 (sigv4.h), re-signed for each attempt, and goes through
// the retry policy (net/retry_policy.h). x-amz-content-sha256 always carries the real SHA-256
// of the body: bodies are small documents or whole parts held in memory, so nothing is sent
// unsigned.
//
//   List       ListObjectsV2, page after page (continuation-token), sorted by key. Directory
//              markers (zero-byte keys ending in '/', as consoles create) are not listed, nor
//              are multipart uploads in progress (S3 never lists those as objects), nor strm's
//              temporary names (IsTemporaryKey).
//   OpenRead   ranged GETs of read_chunk_size bytes (net/ranged_reader.h): the first tells
//              NotFound, the size and the ETag, every later one is pinned to that ETag
//              (If-Match), so a replaced object fails the read instead of mixing versions; each
//              range is retried on its own and resumed at the first byte not received, and the
//              next range is fetched while the current one is read (memory: two chunks).
//   OpenWrite  net/chunked_upload.h: an object of at most part_size bytes goes in one PutObject
//              at Commit(). A larger one becomes a multipart upload: CreateMultipartUpload when
//              the first part is full and more data follows, each part sent on a thread of its
//              own while the next one fills (memory: two parts), CompleteMultipartUpload only in
//              Commit(). Abort(), destruction without Commit() and any failure send
//              AbortMultipartUpload, so nothing is visible under the key before Commit()
//              succeeds, and a failed Commit() leaves nothing behind (as far as the server
//              allows: a store that cannot abort keeps the parts until a lifecycle rule removes
//              them; S3's AbortIncompleteMultipartUpload is the safety net). A "200 OK"
//              CompleteMultipartUpload whose body is an <Error> is an error (retried when its
//              code is InternalError, SlowDown or ServiceUnavailable). If a retried
//              CompleteMultipartUpload finds the upload gone (NoSuchUpload) because an earlier
//              attempt succeeded but its answer was lost, an object of the written size under
//              the key counts as success.
//   Copy       HeadObject of the source (NotFound if it is missing), then CopyObject
//              (x-amz-copy-source), or for a source over max_copy_size (5 GiB, S3's limit) a
//              multipart upload of UploadPartCopy parts, completed at the end and aborted on
//              failure; each request pinned to the source's ETag. The destination is replaced
//              atomically. A "200 OK" whose body is an <Error> is an error (retried when
//              transient), as for CompleteMultipartUpload.
//   Delete     DeleteObject; a missing key is OK, a missing bucket is NotFound.
//
// Addressing (S3Credentials::path_style): kOn is path-style (https://host/bucket/key), kOff is
// virtual-hosted (https://bucket.host/key), kAuto is virtual-hosted on AWS when the bucket
// name is a DNS label (lowercase letters, digits and '-'; no dots, whose names the
// *.s3.amazonaws.com certificate does not cover), path-style otherwise and for every custom
// endpoint. AWS endpoints are regional: s3.<region>.amazonaws.com (amazonaws.com.cn for cn-*).
//
// Configuration from the environment, for what the options leave empty, each item on its own
// (as the AWS CLI does: explicit settings win over the environment, the environment over
// defaults):
//   keys      when both access_key_id and secret_access_key are empty: AWS_ACCESS_KEY_ID,
//             AWS_SECRET_ACCESS_KEY (both required) and AWS_SESSION_TOKEN (optional). A token
//             from the environment is never combined with keys from the options. One of the
//             two keys given without the other is an error.
//   endpoint  when endpoint_url is empty: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL
//             (scheme://host[:port]); neither means AWS.
//   region    when region is empty: AWS_REGION, else AWS_DEFAULT_REGION, else discovered.
// Discovery signs a HeadBucket for us-east-1 and takes the bucket's x-amz-bucket-region
// header, which S3 sends with 200 and with its 301 PermanentRedirect (and its 400 and 403)
// answers; without the header (most S3-compatible stores) the region is us-east-1. Whatever
// the region's source, a request answered with 301/400 and a different x-amz-bucket-region is
// re-signed for that region and sent again, and the store keeps the new region.
//
// Errors have net/http_status.h's shape: the store, the method, s3://bucket/key, the
// operation where the method does not say it, and S3's answer: "S3 PUT s3://b/k: HTTP 403
// SignatureDoesNotMatch (The request signature we calculated does not match ...)", "S3 PUT
// s3://b/k (UploadPart 3) failed after 5 attempts: HTTP 503 SlowDown (Please reduce your
// request rate.)", with its codes (403 kPermissionDenied, 404 kNotFound, ...). Messages never
// carry a secret, a signature or a query string.
//
// Thread-safe as ObjectStore requires; streams may outlive the store.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_transport.h"
#include "net/retry_policy.h"
#include "storage/connector_credentials.h"
#include "storage/object_store.h"
#include "storage/s3_protocol.h"

namespace strm {

inline constexpr size_t kS3MinPartSize = size_t{5} << 20;  // S3's minimum, except the last
inline constexpr size_t kS3MaxPartSize = size_t{5} << 30;
inline constexpr int kS3MaxParts = 10'000;

struct S3StoreOptions {
  std::string bucket;
  S3Credentials credentials;            // endpoint_url empty = AWS (or the environment, see above)
  std::string region;                   // empty: the environment, else discovered, else us-east-1
  std::shared_ptr<HttpTransport> http;  // null: a CurlTransport of the store's own
  RetryPolicy retry;                    // net/retry_policy.h's defaults
  size_t part_size = 8 << 20;           // multipart part size, kS3MinPartSize..kS3MaxPartSize
  size_t read_chunk_size = 8 << 20;     // bytes per ranged GET, at least 64 KiB
  // Copy: sources up to this size are one CopyObject (S3's limit is 5 GiB), larger ones are
  // copied in UploadPartCopy parts of this size. kS3MinPartSize..kS3MaxPartSize.
  size_t max_copy_size = kS3MaxPartSize;
  int list_page_size = 1000;  // max-keys of ListObjectsV2, 1..1000 (S3's maximum)
  // Looks up an environment variable; empty means the process environment. Pass one that
  // returns nullopt to ignore the environment.
  std::function<std::optional<std::string>(const std::string& name)> environment;
};

// InvalidArgument for a bad bucket name, part size, endpoint or region, or missing keys; when
// the region must be discovered, also the errors of that HeadBucket (NotFound for a bucket
// that does not exist; a 403 is not an error, S3 tells the region anyway).
Result<std::shared_ptr<ObjectStore>> OpenS3Store(S3StoreOptions options);

}  // namespace strm
