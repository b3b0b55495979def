#include "storage/s3_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <utility>

#include "net/chunked_upload.h"
#include "net/curl_transport.h"
#include "net/http_status.h"
#include "net/ranged_reader.h"
#include "net/xml_reader.h"
#include "storage/sigv4.h"

namespace strm {
namespace {

constexpr std::string_view kDefaultRegion = "us-east-1";
constexpr size_t kMinReadChunk = size_t{64} << 10;

// S3 may answer 200 to CompleteMultipartUpload and to copies and report a failure in the
// body. Such an answer whose code says "try again" becomes the status it stands for, so that
// the retry policy retries it; with any other code it stays a 200 that the caller must check
// (S3Success).
void ErrorIn200(Result<HttpResponse>& r) {
  if (!r.ok() || !IsHttpSuccess(r->status)) return;
  const std::string code = S3ErrorCode(r->body);
  if (!IsRetryableErrorCode(code)) return;
  r->status = code == "SlowDown" || code == "ServiceUnavailable" ? 503 : 500;
}

// ---- The bucket: configuration and signed exchanges -----------------------------------------

// One S3 request. `key` empty addresses the bucket.
struct S3Call {
  std::string method;
  std::string key;
  std::string op;  // for messages: "UploadPart 3"; empty for a plain object request
  Sigv4Pairs query;
  Sigv4Pairs headers;     // signed and sent
  std::string_view body;  // not owned
  std::string shown;      // what messages name instead of s3://bucket/key, if set

  S3Call(std::string m, std::string k, std::string o = {}, Sigv4Pairs q = {},
         std::string_view b = {})
      : method(std::move(m)), key(std::move(k)), op(std::move(o)), query(std::move(q)), body(b) {}
};

class S3Bucket {
 public:
  S3Bucket(S3StoreOptions o, Sigv4Credentials creds) : o_(std::move(o)), creds_(std::move(creds)) {}

  Status Init(std::string region) {
    STRM_ASSIGN_OR_RETURN(S3Addressing a,
                          ResolveS3Addressing(o_.bucket, o_.credentials.endpoint_url,
                                              o_.credentials.path_style, region));
    std::lock_guard<std::mutex> lock(mu_);
    region_ = std::move(region);
    addressing_ = std::move(a);
    return Status::Ok();
  }

  const S3StoreOptions& options() const { return o_; }
  std::string region() const {
    std::lock_guard<std::mutex> lock(mu_);
    return region_;
  }

  std::string Name(std::string_view key) const {
    return "s3://" + o_.bucket + (key.empty() ? "" : "/" + std::string(key));
  }
  // "S3 PUT s3://b/k (UploadPart 3)": how messages name a request.
  std::string What(const S3Call& c) const {
    return RequestName("S3", c.method, c.shown.empty() ? Name(c.key) : c.shown, c.op);
  }
  std::string Describe() const {
    return o_.credentials.endpoint_url.empty() ? Name("")
                                               : Name("") + " at " + o_.credentials.endpoint_url;
  }

  // The error for an answer the caller did not expect.
  Status Failure(const S3Call& c, const HttpResponse& r) const { return HttpFailure(What(c), r); }

  // One signed exchange, no retry: the body through `sink` if given, else into the answer.
  // `region_used` receives the region it was signed for.
  Result<HttpResponse> SendOnce(const S3Call& c, const std::string& payload_hash,
                                const HttpBodySink* sink, std::string* region_used = nullptr) {
    std::string region;
    S3Addressing a;
    {
      std::lock_guard<std::mutex> lock(mu_);
      region = region_;
      a = addressing_;
    }
    if (region_used != nullptr) *region_used = region;
    Sigv4Request sr;
    sr.method = c.method;
    sr.host = a.host;
    sr.path = a.Path(c.key);
    sr.query = c.query;
    sr.headers = c.headers;
    sr.payload_hash = payload_hash;
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto sig = SignSigv4(sr, creds_, region, "s3", now);
    if (!sig.ok()) return sig.status().WithContext(What(c));
    HttpRequest req;
    req.method = c.method;
    req.url = a.scheme + "://" + a.host + sig->canonical_uri;
    if (!sig->query_string.empty()) req.url += "?" + sig->query_string;
    req.headers.reserve(c.headers.size() + sig->headers_to_add.size() + 1);
    for (const auto& [n, v] : c.headers) req.headers.push_back({n, v});
    for (auto& [n, v] : sig->headers_to_add) req.headers.push_back({n, std::move(v)});
    req.headers.push_back({"Authorization", std::move(sig->authorization)});
    req.body = c.body;
    return sink != nullptr ? o_.http->Stream(req, *sink) : o_.http->Send(req);
  }

  // The exchange with retries (errors name the request). An answer that names another region
  // for the bucket (S3's 301 PermanentRedirect, or a 400 for a request signed for the wrong
  // region) moves the store to that region and is sent once more. `error_in_200`: the
  // operation may answer 200 with an <Error> (ErrorIn200).
  Result<HttpResponse> Execute(const S3Call& c, bool error_in_200 = false) {
    const std::string hash = Sha256Hex(c.body);
    for (int redirects = 0;; ++redirects) {
      std::string used;
      auto r = WithRetries(o_.retry, What(c), [&] {
        auto sent = SendOnce(c, hash, nullptr, &used);
        if (error_in_200) ErrorIn200(sent);
        return sent;
      });
      if (!r.ok()) return r;
      if (redirects == 0 && (r->status == 301 || r->status == 307 || r->status == 400)) {
        const std::string* region = r->FindHeader("x-amz-bucket-region");
        if (region != nullptr && *region != used && IsS3RegionName(*region)) {
          STRM_RETURN_IF_ERROR(Init(*region));
          continue;
        }
      }
      return r;
    }
  }

  // HeadObject: the size and ETag of an object; NotFound if it is missing. Messages name the
  // request with `method` (a read names its HEAD as the GET it is part of).
  Result<RangedObject> StatObject(const std::string& key, std::string_view method) {
    S3Call c("HEAD", key);
    STRM_ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
    c.method = method;
    if (r.status == 404) return NotFound(What(c) + ": no such object (HTTP 404)");
    if (r.status != 200) return Failure(c, r);
    const std::string* len = r.FindHeader("content-length");
    std::optional<uint64_t> size = len != nullptr ? ParseS3Number(*len) : std::nullopt;
    if (!size) return Internal(What(c) + ": the answer has no valid Content-Length");
    const std::string* etag = r.FindHeader("etag");
    return RangedObject{*size, etag != nullptr ? *etag : std::string()};
  }

 private:
  const S3StoreOptions o_;
  const Sigv4Credentials creds_;
  mutable std::mutex mu_;
  std::string region_;
  S3Addressing addressing_;
};

// ---- Reads and writes -----------------------------------------------------------------------

// HeadObject, then ranged GETs pinned to the object's ETag (If-Match). The HEAD costs a round
// trip, but some S3-compatible stores (s3rver among them) mangle a range of an empty object.
class S3Ranges final : public RangeSource {
 public:
  S3Ranges(std::shared_ptr<S3Bucket> b, std::string key) : b_(std::move(b)), key_(std::move(key)) {}

  Result<std::optional<RangedObject>> Head() override {
    STRM_ASSIGN_OR_RETURN(RangedObject o, b_->StatObject(key_, "GET"));
    return std::optional<RangedObject>(std::move(o));
  }

  Result<HttpResponse> GetRange(uint64_t first, uint64_t last, const std::string& version,
                                const HttpBodySink& sink, Status&) override {
    S3Call c("GET", key_);
    if (!version.empty()) c.headers.emplace_back("if-match", version);
    c.headers.emplace_back("range", "bytes=" + std::to_string(first) + "-" + std::to_string(last));
    return b_->SendOnce(c, std::string(kEmptyPayloadHash), &sink);
  }

  std::string VersionOf(const HttpResponse& r) const override {
    const std::string* etag = r.FindHeader("etag");
    return etag != nullptr ? *etag : std::string();
  }

 private:
  const std::shared_ptr<S3Bucket> b_;
  const std::string key_;
};

// PutObject, or a multipart upload completed at Commit (see the header).
class S3Upload final : public UploadProtocol {
 public:
  S3Upload(std::shared_ptr<S3Bucket> b, std::string key) : b_(std::move(b)), key_(std::move(key)) {}

  Status PutWhole(std::string_view data) override {
    S3Call c("PUT", key_, "", {}, data);
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c));
    return IsHttpSuccess(r.status) ? Status::Ok() : b_->Failure(c, r);
  }

  Status Start() override {
    S3Call c("POST", key_, "CreateMultipartUpload", {{"uploads", ""}});
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c));
    if (!IsHttpSuccess(r.status)) return b_->Failure(c, r);
    auto doc = ParseXml(r.body);
    std::string id = doc.ok() ? doc->ChildText("UploadId") : std::string();
    if (id.empty()) return Internal(b_->What(c) + ": the answer has no UploadId");
    upload_id_ = std::move(id);
    return Status::Ok();
  }

  Status SendPart(int number, uint64_t, std::string_view data, bool) override {
    S3Call c("PUT", key_, "UploadPart " + std::to_string(number),
             {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}}, data);
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c));
    if (!IsHttpSuccess(r.status)) return b_->Failure(c, r);
    const std::string* etag = r.FindHeader("etag");
    if (etag == nullptr || etag->empty()) return Internal(b_->What(c) + ": the answer has no ETag");
    etags_.push_back(*etag);
    return Status::Ok();
  }

  // UploadPartCopy: bytes [first, last] of the object that `source` names become part
  // `number`.
  Status CopyPart(int number, const Sigv4Pairs& source, uint64_t first, uint64_t last) {
    S3Call c("PUT", key_, "UploadPartCopy " + std::to_string(number),
             {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}});
    c.headers = source;
    c.headers.emplace_back("x-amz-copy-source-range",
                           "bytes=" + std::to_string(first) + "-" + std::to_string(last));
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c, /*error_in_200=*/true));
    if (!IsHttpSuccess(r.status) || !S3ErrorCode(r.body).empty()) return b_->Failure(c, r);
    auto doc = ParseXml(r.body);
    std::string etag = doc.ok() ? doc->ChildText("ETag") : std::string();
    if (etag.empty()) return Internal(b_->What(c) + ": the answer has no ETag");
    etags_.push_back(std::move(etag));
    return Status::Ok();
  }

  Status Finish(uint64_t size) override {
    std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    for (size_t i = 0; i < etags_.size(); ++i) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
             S3XmlEscape(etags_[i]) + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    S3Call c("POST", key_, "CompleteMultipartUpload", {{"uploadId", upload_id_}}, xml);
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c, /*error_in_200=*/true));
    if (IsHttpSuccess(r.status) && S3ErrorCode(r.body).empty()) {
      upload_id_.clear();
      return Status::Ok();
    }
    if (r.status == 404 && S3ErrorCode(r.body) == "NoSuchUpload") {
      // An earlier attempt completed the upload but its answer was lost: the object is there.
      auto stored = b_->StatObject(key_, "HEAD");
      if (stored.ok() && stored->size == size) {
        upload_id_.clear();
        return Status::Ok();
      }
    }
    return b_->Failure(c, r);
  }

  // Best effort: a store that refuses keeps the parts, invisible, until a lifecycle rule
  // removes them.
  void Abort() override {
    if (upload_id_.empty()) return;
    S3Call c("DELETE", key_, "AbortMultipartUpload", {{"uploadId", upload_id_}});
    (void)b_->Execute(c);
    upload_id_.clear();
  }

 private:
  const std::shared_ptr<S3Bucket> b_;
  const std::string key_;
  std::string upload_id_;
  std::vector<std::string> etags_;  // of the parts sent, in order
};

// ---- The store ------------------------------------------------------------------------------

class S3Store final : public ObjectStore {
 public:
  explicit S3Store(std::shared_ptr<S3Bucket> b) : b_(std::move(b)) {}

  std::string Describe() const override { return b_->Describe(); }

  std::string ObjectUri(std::string_view key) const override {
    const std::string& endpoint = b_->options().credentials.endpoint_url;
    if (endpoint.empty()) return b_->Name(key);
    return endpoint + "/" + b_->options().bucket + "/" + std::string(key);
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    std::vector<ObjectInfo> out;
    std::string token;
    S3Call c("GET", "", "ListObjectsV2");
    c.shown = b_->Name("") + "/" + std::string(prefix);
    const std::string what = b_->What(c);
    for (;;) {
      c.query = {{"list-type", "2"}, {"max-keys", std::to_string(b_->options().list_page_size)}};
      if (!prefix.empty()) c.query.emplace_back("prefix", std::string(prefix));
      if (!token.empty()) c.query.emplace_back("continuation-token", token);
      STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c));
      if (r.status != 200) return b_->Failure(c, r);
      auto page = ParseListObjectsV2(r.body);
      if (!page.ok()) return page.status().WithContext(what);
      for (ObjectInfo& o : page->objects) {
        const bool marker = o.size == 0 && !o.key.empty() && o.key.back() == '/';
        if (!marker && !IsTemporaryKey(o.key) && o.key.compare(0, prefix.size(), prefix) == 0)
          out.push_back(std::move(o));
      }
      if (!page->truncated) break;
      if (page->next_continuation_token == token)
        return Internal(what + ": the server repeated a continuation token");
      token = std::move(page->next_continuation_token);
    }
    SortByKey(out);
    return out;
  }

  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckS3Key(key));
    RangedReaderOptions o;
    o.what = b_->What(S3Call("GET", std::string(key)));
    o.retry = b_->options().retry;
    o.chunk_size = b_->options().read_chunk_size;
    return OpenRangedReader(std::make_shared<S3Ranges>(b_, std::string(key)), std::move(o));
  }

  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions&) override {
    STRM_RETURN_IF_ERROR(CheckS3Key(key));
    return std::unique_ptr<OutputStream>(
        new ChunkedUpload(std::make_unique<S3Upload>(b_, std::string(key)), b_->options().part_size,
                          kS3MaxParts, b_->What(S3Call("PUT", std::string(key)))));
  }

  // HeadObject of the source (NotFound; its size and ETag), then CopyObject, or for a source
  // above max_copy_size a multipart upload of UploadPartCopy parts of that size completed at
  // the end (aborted on failure). Every request is pinned to the source's ETag
  // (x-amz-copy-source-if-match), so the copy is of one version.
  Status Copy(std::string_view from, std::string_view to) override {
    STRM_RETURN_IF_ERROR(CheckS3Key(from));
    STRM_RETURN_IF_ERROR(CheckS3Key(to));
    STRM_ASSIGN_OR_RETURN(RangedObject source, b_->StatObject(std::string(from), "HEAD"));
    if (from == to) return Status::Ok();  // S3 refuses to copy an object onto itself
    Sigv4Pairs headers = {{"x-amz-copy-source", "/" + b_->options().bucket + "/" +
                                                    PercentEncode(from, /*keep_slash=*/true)}};
    if (!source.version.empty()) headers.emplace_back("x-amz-copy-source-if-match", source.version);
    if (source.size <= b_->options().max_copy_size) {
      S3Call c("PUT", std::string(to), "CopyObject from " + b_->Name(from));
      c.headers = std::move(headers);
      STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c, /*error_in_200=*/true));
      if (!IsHttpSuccess(r.status) || !S3ErrorCode(r.body).empty()) return b_->Failure(c, r);
      return Status::Ok();
    }
    // At most kS3MaxParts parts: larger ones for a source too large for that.
    const uint64_t part = std::max<uint64_t>(b_->options().max_copy_size,
                                             (source.size + kS3MaxParts - 1) / kS3MaxParts);
    S3Upload upload(b_, std::string(to));
    STRM_RETURN_IF_ERROR(upload.Start());
    Status s;
    for (uint64_t first = 0, n = 1; s.ok() && first < source.size; first += part, ++n)
      s = upload.CopyPart(static_cast<int>(n), headers, first,
                          std::min<uint64_t>(first + part, source.size) - 1);
    if (s.ok()) s = upload.Finish(source.size);
    if (!s.ok()) upload.Abort();
    return s;
  }

  Status Delete(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckS3Key(key));
    S3Call c("DELETE", std::string(key));
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c));
    if (IsHttpSuccess(r.status)) return Status::Ok();
    if (r.status == 404 && S3ErrorCode(r.body) != "NoSuchBucket") return Status::Ok();
    return b_->Failure(c, r);
  }

 private:
  std::shared_ptr<S3Bucket> b_;
};

}  // namespace

Result<std::shared_ptr<ObjectStore>> OpenS3Store(S3StoreOptions o) {
  STRM_RETURN_IF_ERROR(CheckS3BucketName(o.bucket));
  const std::string name = "s3://" + o.bucket;
  if (o.part_size < kS3MinPartSize || o.part_size > kS3MaxPartSize)
    return InvalidArgument(name + ": the part size must be between 5 MiB and 5 GiB, not " +
                           std::to_string(o.part_size) + " bytes");
  if (o.max_copy_size < kS3MinPartSize || o.max_copy_size > kS3MaxPartSize)
    return InvalidArgument(name + ": the copy size must be between 5 MiB and 5 GiB");
  if (o.read_chunk_size < kMinReadChunk)
    return InvalidArgument(name + ": the read chunk size must be at least 64 KiB");
  if (o.list_page_size < 1 || o.list_page_size > 1000)
    return InvalidArgument(name + ": the list page size must be between 1 and 1000");

  auto env = [&](const std::string& var) -> std::string {
    std::optional<std::string> v;
    if (o.environment) {
      v = o.environment(var);
    } else if (const char* s = std::getenv(var.c_str())) {
      v = s;
    }
    return v.value_or(std::string());
  };

  Sigv4Credentials creds{o.credentials.access_key_id, o.credentials.secret_access_key,
                         o.credentials.session_token};
  if (creds.access_key_id.empty() && creds.secret_access_key.empty()) {
    creds = {env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
    if (creds.access_key_id.empty() || creds.secret_access_key.empty())
      return InvalidArgument(name +
                             ": no S3 credentials: give an access key id and a secret access "
                             "key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  } else if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return InvalidArgument(name + ": the S3 credentials need both an access key id and a " +
                           "secret access key");
  }

  if (o.credentials.endpoint_url.empty()) {
    std::string from = "AWS_ENDPOINT_URL_S3";
    std::string url = env(from);
    if (url.empty()) url = env(from = "AWS_ENDPOINT_URL");
    if (!url.empty()) {
      auto normalized = NormalizeS3Endpoint(url, nullptr, nullptr);
      if (!normalized.ok()) return normalized.status().WithContext(name + ": " + from);
      o.credentials.endpoint_url = *normalized;
    }
  }

  std::string region = o.region;
  if (region.empty()) region = env("AWS_REGION");
  if (region.empty()) region = env("AWS_DEFAULT_REGION");
  if (!region.empty() && !IsS3RegionName(region))
    return InvalidArgument(name + ": invalid region '" + ForMessage(region, 64) + "'");
  const bool discover = region.empty();
  if (!o.http) o.http = std::make_shared<CurlTransport>();

  auto bucket = std::make_shared<S3Bucket>(std::move(o), std::move(creds));
  STRM_RETURN_IF_ERROR(bucket->Init(discover ? std::string(kDefaultRegion) : region));
  if (discover) {
    S3Call c("HEAD", "", "HeadBucket");
    STRM_ASSIGN_OR_RETURN(HttpResponse r, bucket->Execute(c));
    if (r.status == 404) return NotFound(bucket->What(c) + ": no such bucket (HTTP 404)");
    const std::string* found = r.FindHeader("x-amz-bucket-region");
    if (found != nullptr && IsS3RegionName(*found) && *found != bucket->region())
      STRM_RETURN_IF_ERROR(bucket->Init(*found));
  }
  return std::shared_ptr<ObjectStore>(std::make_shared<S3Store>(std::move(bucket)));
}

}  // namespace strm
