// The pure parts of S3's protocol, for the store (s3_store.cc) and its tests: bucket and key
// names, where a bucket's requests go (addressing, endpoints, regions), and the XML documents
// S3 answers with. No I/O; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/connector_credentials.h"
#include "storage/object_store.h"

namespace strm {

// Where the requests for a bucket go. Pure, for the store and its tests.
struct S3Addressing {
  std::string scheme;       // "https" or "http"
  std::string host;         // as sent in Host: "b.s3.eu-west-1.amazonaws.com", "10.0.0.1:9000"
  std::string bucket_path;  // "/bucket" (path-style) or "" (virtual-hosted)
  bool path_style = false;

  // The raw (unencoded) request path of an object, or of the bucket for an empty key:
  // "/bucket/a b.csv", "/a b.csv"; "/bucket" or "/".
  std::string Path(std::string_view key) const;
  // The URL of an object, its path AWS-encoded as SigV4 signs it.
  std::string Url(std::string_view key) const;
};

// `endpoint_url` is "scheme://host[:port]" or empty for AWS (then `region` picks the host);
// a port that is the scheme's default is dropped, as curl drops it from Host.
Result<S3Addressing> ResolveS3Addressing(std::string_view bucket, std::string_view endpoint_url,
                                         S3PathStyle path_style, std::string_view region);

// One page of a ListObjectsV2 answer.
struct S3ListPage {
  std::vector<ObjectInfo> objects;  // in the page's order
  bool truncated = false;
  std::string next_continuation_token;  // set when truncated
};

// Parses a ListObjectsV2 answer (<ListBucketResult>), decoding XML entities (&amp; &lt; &gt;
// &quot; &apos;, &#NN; and &#xHH;) and CDATA. InvalidArgument for malformed XML, for an
// <Error> document, or for a truncated page without a NextContinuationToken.
Result<S3ListPage> ParseListObjectsV2(std::string_view xml);

// S3-compatible stores (and S3's legacy buckets) allow more than today's AWS rules, so only
// what cannot be a single path segment is refused: InvalidArgument naming the name.
Status CheckS3BucketName(std::string_view bucket);

// S3's own limits on keys (1024 bytes, no control characters), then ValidateObjectKey: curl
// would squash "." and ".." segments, sending (and signing) another path.
Status CheckS3Key(std::string_view key);

// Lowercase letters, digits and '-', at most 64: "eu-west-1".
bool IsS3RegionName(std::string_view region);

// "scheme://host[:port]" normalised (lowercase scheme, no trailing '/', no default port), or
// what is wrong with it; `scheme_out` and `host_out` receive its parts if not null. The URL is
// never echoed: it could carry a password.
Result<std::string> NormalizeS3Endpoint(std::string_view url, std::string* scheme_out,
                                        std::string* host_out);

// The <Code> of an <Error> document, or "" if `body` is not one.
std::string S3ErrorCode(std::string_view body);

// Element content for S3's request documents (ETags are quoted strings): & < > escaped.
std::string S3XmlEscape(std::string_view text);

// A decimal number that is the whole of `text`.
std::optional<uint64_t> ParseS3Number(std::string_view text);

}  // namespace strm
