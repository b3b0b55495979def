#include "storage/s3_store.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <system_error>
#include <utility>

#include "storage/sigv4.h"
#include "storage/xml_reader.h"

namespace strm {
namespace {

constexpr std::string_view kDefaultRegion = "us-east-1";
constexpr size_t kMinReadChunk = size_t{64} << 10;
constexpr size_t kMaxKeyBytes = 1024;  // S3's limit on a key's UTF-8 bytes
constexpr size_t kMaxShownMessage = 300;

// ---- XML ------------------------------------------------------------------------------------

// Element content for the body of CompleteMultipartUpload (ETags are quoted strings).
std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// ---- S3's answers ---------------------------------------------------------------------------

struct S3ErrorDoc {
  std::string code, message;
};

// The <Code> and <Message> of an <Error> document, or nullopt if `body` is not one.
std::optional<S3ErrorDoc> ParseS3Error(std::string_view body) {
  if (body.find("<Error") == std::string_view::npos) return std::nullopt;
  auto doc = ParseXml(body);
  if (!doc.ok() || doc->name != "Error") return std::nullopt;
  return S3ErrorDoc{doc->ChildText("Code"), doc->ChildText("Message")};
}

// `s` cut to `max` bytes at a UTF-8 character boundary, control characters as spaces.
std::string ForMessage(std::string_view s, size_t max) {
  std::string out;
  if (s.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    out.assign(s.substr(0, cut));
    out += "...";
  } else {
    out.assign(s);
  }
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

// "HTTP 403 SignatureDoesNotMatch (The request signature ...)".
std::string DescribeS3Failure(const HttpResponse& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  if (auto err = ParseS3Error(r.body)) {
    if (!err->code.empty()) out += " " + ForMessage(err->code, 64);
    if (!err->message.empty()) out += " (" + ForMessage(err->message, kMaxShownMessage) + ")";
  }
  return out;
}

StatusCode CodeForHttpStatus(int status) {
  if (status == 401 || status == 403) return StatusCode::kPermissionDenied;
  if (status == 404) return StatusCode::kNotFound;
  if (status == 409 || status == 412) return StatusCode::kFailedPrecondition;
  if (status >= 400 && status < 500) return StatusCode::kInvalidArgument;
  if (status >= 500) return StatusCode::kUnavailable;
  return StatusCode::kInvalidArgument;  // a redirect we cannot follow, or a surprise
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

std::optional<uint64_t> ParseUint(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// ---- Names ----------------------------------------------------------------------------------

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A bucket name that can be the first label of a host name under a wildcard certificate.
bool IsDnsLabelBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  if (!IsLowerAlnum(b.front()) || !IsLowerAlnum(b.back())) return false;
  return std::all_of(b.begin(), b.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// A name that can be a host name: DNS labels separated by dots.
bool IsHostBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  size_t start = 0;
  while (start <= b.size()) {
    size_t end = b.find('.', start);
    if (end == std::string_view::npos) end = b.size();
    std::string_view label = b.substr(start, end - start);
    if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) return false;
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '-'; }))
      return false;
    start = end + 1;
  }
  return true;
}

Status CheckBucketName(std::string_view b) {
  // S3-compatible stores (and S3's legacy buckets) allow more than today's AWS rules, so only
  // what cannot be a single path segment is refused here.
  if (b.empty()) return InvalidArgument("an S3 bucket name must not be empty");
  if (b.size() > 255) return InvalidArgument("S3 bucket name is longer than 255 characters");
  for (char c : b) {
    if (!(IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_'))
      return InvalidArgument("S3 bucket name '" + ForMessage(b, 255) +
                             "' may contain only letters, digits, '.', '-' and '_'");
  }
  return Status::Ok();
}

bool IsRegionName(std::string_view r) {
  return !r.empty() && r.size() <= 64 &&
         std::all_of(r.begin(), r.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// S3's own limits, then ValidateObjectKey: curl would squash "." and ".." segments, sending
// (and signing) another path.
Status CheckKey(std::string_view key) {
  if (key.size() > kMaxKeyBytes)
    return InvalidArgument("object name is longer than S3's 1024 bytes");
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return InvalidArgument("object name '" + ForMessage(key, 200) +
                             "' contains a control character");
  }
  return ValidateObjectKey(key);
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// ---- The bucket: configuration and signed exchanges -----------------------------------------

// One S3 request. `key` empty addresses the bucket.
struct S3Call {
  std::string what;  // for messages: "PUT", "UploadPart 3"
  std::string method;
  std::string key;
  Sigv4Pairs query;
  Sigv4Pairs headers;     // signed and sent
  std::string_view body;  // not owned
  std::string shown;      // what messages name instead of s3://bucket/key, if set

  S3Call(std::string w, std::string m, std::string k = {}, Sigv4Pairs q = {},
         std::string_view b = {})
      : what(std::move(w)), method(std::move(m)), key(std::move(k)), query(std::move(q)), body(b) {}
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
  std::string Prefix(const S3Call& c) const {
    return "S3 " + c.what + " " + (c.shown.empty() ? Name(c.key) : c.shown);
  }
  std::string Describe() const {
    return o_.credentials.endpoint_url.empty() ? Name("")
                                               : Name("") + " at " + o_.credentials.endpoint_url;
  }

  // The error for an answer the caller did not expect.
  Status Failure(const S3Call& c, const HttpResponse& r) const {
    return Status(CodeForHttpStatus(r.status), Prefix(c) + ": " + DescribeS3Failure(r));
  }

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
    if (!sig.ok()) return sig.status().WithContext(Prefix(c));
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

  // The exchange with retries. An answer that names another region for the bucket (S3's 301
  // PermanentRedirect, or a 400 for a request signed for the wrong region) moves the store
  // to that region and is sent once more.
  Result<HttpResponse> Execute(const S3Call& c) {
    const std::string hash = Sha256Hex(c.body);
    return Execute(c, hash);
  }
  Result<HttpResponse> Execute(const S3Call& c, const std::string& payload_hash) {
    for (int redirects = 0;; ++redirects) {
      std::string used;
      auto r = WithRetries(o_.retry, Prefix(c),
                           [&] { return SendOnce(c, payload_hash, nullptr, &used); });
      if (!r.ok()) return Contextualize(c, r.status());
      if (redirects == 0 && (r->status == 301 || r->status == 307 || r->status == 400)) {
        const std::string* region = r->FindHeader("x-amz-bucket-region");
        if (region != nullptr && *region != used && IsRegionName(*region)) {
          STRM_RETURN_IF_ERROR(Init(*region));
          continue;
        }
      }
      return r;
    }
  }

  // Errors of WithRetries carry our prefix already; others (TLS, a bad request) get it.
  Status Contextualize(const S3Call& c, const Status& s) const {
    if (s.message().rfind("S3 ", 0) == 0) return s;
    return s.WithContext(Prefix(c));
  }

  // HeadObject: the size and ETag of an object; NotFound if it is missing.
  struct Stat {
    uint64_t size = 0;
    std::string etag;
  };
  Result<Stat> StatObject(const std::string& key, std::string_view what) {
    S3Call c(std::string(what), "HEAD", key);
    STRM_ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
    if (r.status == 404) return NotFound(Prefix(c) + ": no such object (HTTP 404)");
    if (r.status != 200) return Failure(c, r);
    const std::string* len = r.FindHeader("content-length");
    std::optional<uint64_t> size = len != nullptr ? ParseUint(*len) : std::nullopt;
    if (!size) return Internal(Prefix(c) + ": the answer has no valid Content-Length");
    const std::string* etag = r.FindHeader("etag");
    return Stat{*size, etag != nullptr ? *etag : std::string()};
  }

 private:
  const S3StoreOptions o_;
  const Sigv4Credentials creds_;
  mutable std::mutex mu_;
  std::string region_;
  S3Addressing addressing_;
};

// Runs `f` on a thread of its own; where no thread can be started, when its result is asked.
template <typename F>
auto RunAsync(F f) {
  auto shared = std::make_shared<F>(std::move(f));  // still ours if no thread can start
  try {
    return std::async(std::launch::async, [shared] { return (*shared)(); });
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, [shared] { return (*shared)(); });
  }
}

// ---- Reads ----------------------------------------------------------------------------------

// Fetches bytes [offset, offset + len) of `key`, resuming after a broken exchange at the first
// byte not yet received. Stops early, with an error, once `cancelled` is set.
Result<std::string> FetchRange(const std::shared_ptr<S3Bucket>& b, const std::string& key,
                               const std::string& etag, uint64_t offset, uint64_t len,
                               const std::atomic<bool>& cancelled) {
  std::string data;
  data.reserve(len);
  S3Call c("GET", "GET", key);
  if (!etag.empty()) c.headers.push_back({"if-match", etag});
  c.headers.push_back({"range", ""});
  const std::string prefix = b->Prefix(c);
  HttpBodySink sink = [&](std::string_view chunk) -> Status {
    if (cancelled.load(std::memory_order_relaxed)) return FailedPrecondition("read cancelled");
    if (data.size() + chunk.size() > len)
      return Internal(prefix + ": the server sent more than the requested range");
    data.append(chunk);
    return Status::Ok();
  };
  auto r = WithRetries(b->options().retry, prefix, [&]() -> Result<HttpResponse> {
    if (cancelled.load(std::memory_order_relaxed)) return FailedPrecondition("read cancelled");
    if (data.size() == len) {  // the last attempt broke after its final byte
      HttpResponse done;
      done.status = 206;
      return done;
    }
    c.headers.back().second =
        "bytes=" + std::to_string(offset + data.size()) + "-" + std::to_string(offset + len - 1);
    return b->SendOnce(c, std::string(kEmptyPayloadHash), &sink);
  });
  if (!r.ok()) return b->Contextualize(c, r.status());
  if (r->status == 412)
    return FailedPrecondition(prefix + ": the object changed while it was read (" +
                              DescribeS3Failure(*r) + ")");
  if (r->status == 404) return NotFound(prefix + ": the object was deleted while it was read");
  if (r->status == 200 && offset != 0)
    return Internal(prefix + ": the server ignored the Range header");
  if (r->status != 206 && r->status != 200) return b->Failure(c, *r);
  if (data.size() != len)
    return Unavailable(prefix + ": got " + std::to_string(data.size()) + " of " +
                       std::to_string(len) + " bytes of a range");
  return data;
}

class S3Input final : public InputStream {
 public:
  S3Input(std::shared_ptr<S3Bucket> b, std::string key, uint64_t size, std::string etag)
      : b_(std::move(b)),
        key_(std::move(key)),
        etag_(std::move(etag)),
        size_(size),
        chunk_(b_->options().read_chunk_size) {
    if (size_ > 0) StartFetch();  // under way while the caller gets ready
  }
  ~S3Input() override {
    cancelled_ = true;
    if (next_.valid()) next_.wait();  // it refers to our members
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (!error_.ok()) return error_;
    if (n == 0) return size_t{0};
    while (pos_ == cur_.size()) {
      if (!next_.valid()) return size_t{0};  // everything was fetched and read
      Result<std::string> r = next_.get();
      if (!r.ok()) {
        error_ = r.status();
        return error_;
      }
      cur_ = std::move(*r);
      pos_ = 0;
      if (requested_ < size_) StartFetch();  // one range ahead
    }
    size_t k = std::min(n, cur_.size() - pos_);
    std::memcpy(buf, cur_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  void StartFetch() {
    const uint64_t offset = requested_;
    const uint64_t len = std::min<uint64_t>(chunk_, size_ - offset);
    requested_ += len;
    next_ = RunAsync(
        [this, offset, len] { return FetchRange(b_, key_, etag_, offset, len, cancelled_); });
  }

  std::shared_ptr<S3Bucket> b_;
  const std::string key_, etag_;
  const uint64_t size_;
  const size_t chunk_;
  uint64_t requested_ = 0;  // bytes [0, requested_) are fetched or being fetched
  std::string cur_;         // the range being read
  size_t pos_ = 0;
  std::future<Result<std::string>> next_;  // the range after it
  std::atomic<bool> cancelled_{false};
  Status error_;
};

// ---- Writes ---------------------------------------------------------------------------------

Result<std::string> UploadPart(const std::shared_ptr<S3Bucket>& b, const std::string& key,
                               const std::string& upload_id, int number, const std::string& data) {
  S3Call c("UploadPart " + std::to_string(number), "PUT", key,
           {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, data);
  STRM_ASSIGN_OR_RETURN(HttpResponse r, b->Execute(c, Sha256Hex(data)));
  if (!Is2xx(r.status)) return b->Failure(c, r);
  const std::string* etag = r.FindHeader("etag");
  if (etag == nullptr || etag->empty()) return Internal(b->Prefix(c) + ": the answer has no ETag");
  return *etag;
}

class S3Output final : public OutputStream {
 public:
  S3Output(std::shared_ptr<S3Bucket> b, std::string key)
      : b_(std::move(b)), key_(std::move(key)), part_size_(b_->options().part_size) {}
  ~S3Output() override { Abort(); }

  Status Write(std::string_view data) override {
    STRM_RETURN_IF_ERROR(failed_);
    if (state_ != State::kOpen) return FailedPrecondition("write to a closed output " + Name());
    while (!data.empty()) {
      const size_t take = std::min(data.size(), part_size_ - buf_.size());
      Reserve(buf_.size() + take);
      buf_.append(data.substr(0, take));
      data.remove_prefix(take);
      total_ += take;
      if (buf_.size() == part_size_) STRM_RETURN_IF_ERROR(Fail(SendPart()));
    }
    return Status::Ok();
  }

  Status Commit() override {
    STRM_RETURN_IF_ERROR(failed_);
    if (state_ != State::kOpen) return FailedPrecondition("commit of a closed output " + Name());
    STRM_RETURN_IF_ERROR(Fail(upload_id_.empty() ? PutObject() : CompleteUpload()));
    state_ = State::kCommitted;
    buf_ = std::string();
    return Status::Ok();
  }

  void Abort() override {
    if (state_ != State::kOpen) return;
    state_ = State::kAborted;
    if (inflight_.valid()) (void)inflight_.get();  // a part sent after the abort would linger
    buf_ = std::string();
    if (upload_id_.empty()) return;
    // Best effort: Abort cannot fail. A store that refuses keeps the parts, invisible, until a
    // lifecycle rule removes them.
    S3Call c("AbortMultipartUpload", "DELETE", key_, {{"uploadId", upload_id_}});
    (void)b_->Execute(c);
    upload_id_.clear();
  }

 private:
  enum class State { kOpen, kCommitted, kAborted };

  std::string Name() const { return b_->Name(key_); }

  // A failure aborts the upload at once, and every later Write or Commit returns it.
  Status Fail(Status s) {
    if (s.ok()) return s;
    if (failed_.ok()) failed_ = s;
    Abort();
    return s;
  }

  // Grows the buffer by doubling, never beyond one part.
  void Reserve(size_t need) {
    if (buf_.capacity() >= need) return;
    size_t cap =
        upload_id_.empty() ? std::max({need, buf_.capacity() * 2, size_t{64} << 10}) : part_size_;
    buf_.reserve(std::min(std::max(cap, need), part_size_));
  }

  Status CreateUpload() {
    S3Call c("CreateMultipartUpload", "POST", key_, {{"uploads", ""}});
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c));
    if (!Is2xx(r.status)) return b_->Failure(c, r);
    auto doc = ParseXml(r.body);
    std::string id = doc.ok() ? doc->ChildText("UploadId") : std::string();
    if (id.empty()) return Internal(b_->Prefix(c) + ": the answer has no UploadId");
    upload_id_ = std::move(id);
    return Status::Ok();
  }

  // Collects the result of the part in flight, if any.
  Status WaitForPart() {
    if (!inflight_.valid()) return Status::Ok();
    Result<std::string> etag = inflight_.get();
    if (!etag.ok()) return etag.status();
    etags_.push_back(std::move(*etag));
    return Status::Ok();
  }

  // Sends the buffer as the next part, on a thread of its own, once the previous part is in.
  Status SendPart() {
    if (upload_id_.empty()) STRM_RETURN_IF_ERROR(CreateUpload());
    STRM_RETURN_IF_ERROR(WaitForPart());
    const int number = static_cast<int>(etags_.size()) + 1;
    if (number > kS3MaxParts)
      return InvalidArgument("S3 UploadPart " + Name() + ": more than " +
                             std::to_string(kS3MaxParts) + " parts of " +
                             std::to_string(part_size_) + " bytes; raise the part size");
    inflight_ = RunAsync([b = b_, key = key_, id = upload_id_, number, data = std::move(buf_)] {
      return UploadPart(b, key, id, number, data);
    });
    buf_ = std::string();
    return Status::Ok();
  }

  Status PutObject() {
    S3Call c("PUT", "PUT", key_, {}, buf_);
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c));
    if (!Is2xx(r.status)) return b_->Failure(c, r);
    return Status::Ok();
  }

  Status CompleteUpload() {
    if (!buf_.empty()) STRM_RETURN_IF_ERROR(SendPart());
    STRM_RETURN_IF_ERROR(WaitForPart());
    std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    for (size_t i = 0; i < etags_.size(); ++i) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
             XmlEscape(etags_[i]) + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    S3Call c("CompleteMultipartUpload", "POST", key_, {{"uploadId", upload_id_}}, xml);
    const std::string hash = Sha256Hex(xml);
    int attempts = 0;
    auto r = WithRetries(b_->options().retry, b_->Prefix(c), [&]() -> Result<HttpResponse> {
      ++attempts;
      auto sent = b_->SendOnce(c, hash, nullptr);
      // S3 may answer 200 and report a failure in the body; the retryable ones become the
      // status they stand for, so that WithRetries retries them.
      if (sent.ok() && Is2xx(sent->status)) {
        if (auto err = ParseS3Error(sent->body)) {
          if (err->code == "InternalError") sent->status = 500;
          if (err->code == "SlowDown" || err->code == "ServiceUnavailable") sent->status = 503;
        }
      }
      return sent;
    });
    if (!r.ok()) return b_->Contextualize(c, r.status());
    if (Is2xx(r->status)) {
      if (ParseS3Error(r->body)) return b_->Failure(c, *r);
      upload_id_.clear();
      return Status::Ok();
    }
    if (r->status == 404 && attempts > 1) {
      auto err = ParseS3Error(r->body);
      if (err && err->code == "NoSuchUpload") {
        // An earlier attempt completed the upload but its answer was lost.
        auto st = b_->StatObject(key_, "HEAD");
        if (st.ok() && st->size == total_) {
          upload_id_.clear();
          return Status::Ok();
        }
      }
    }
    return b_->Failure(c, *r);
  }

  std::shared_ptr<S3Bucket> b_;
  const std::string key_;
  const size_t part_size_;
  State state_ = State::kOpen;
  std::string buf_;  // the part being filled
  uint64_t total_ = 0;
  std::string upload_id_;                      // set once the first part is full
  std::vector<std::string> etags_;             // of the parts sent, in order
  std::future<Result<std::string>> inflight_;  // the part being sent: its ETag
  Status failed_;
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
    S3Call c("LIST", "GET");
    c.shown = b_->Name("") + "/" + std::string(prefix);
    const std::string name = b_->Prefix(c);
    for (;;) {
      c.query = {{"list-type", "2"}, {"max-keys", std::to_string(b_->options().list_page_size)}};
      if (!prefix.empty()) c.query.emplace_back("prefix", std::string(prefix));
      if (!token.empty()) c.query.emplace_back("continuation-token", token);
      auto r = b_->Execute(c);
      if (!r.ok()) return r.status();
      if (r->status != 200)
        return Status(CodeForHttpStatus(r->status), name + ": " + DescribeS3Failure(*r));
      auto page = ParseListObjectsV2(r->body);
      if (!page.ok()) return page.status().WithContext(name);
      for (ObjectInfo& o : page->objects) {
        const bool marker = o.size == 0 && !o.key.empty() && o.key.back() == '/';
        if (!marker && !IsTemporaryKey(o.key) && o.key.compare(0, prefix.size(), prefix) == 0)
          out.push_back(std::move(o));
      }
      if (!page->truncated) break;
      if (page->next_continuation_token == token)
        return Internal(name + ": the server repeated a continuation token");
      token = std::move(page->next_continuation_token);
    }
    SortByKey(out);
    return out;
  }

  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckKey(key));
    STRM_ASSIGN_OR_RETURN(S3Bucket::Stat st, b_->StatObject(std::string(key), "GET"));
    return std::unique_ptr<InputStream>(
        new S3Input(b_, std::string(key), st.size, std::move(st.etag)));
  }

  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions&) override {
    STRM_RETURN_IF_ERROR(CheckKey(key));
    return std::unique_ptr<OutputStream>(new S3Output(b_, std::string(key)));
  }

  Status Copy(std::string_view from, std::string_view to) override {
    return CopyThroughStreams(*this, from, to);
  }

  Status Delete(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckKey(key));
    S3Call c("DELETE", "DELETE", std::string(key));
    STRM_ASSIGN_OR_RETURN(HttpResponse r, b_->Execute(c));
    if (Is2xx(r.status)) return Status::Ok();
    if (r.status == 404) {
      auto err = ParseS3Error(r.body);
      if (!err || err->code != "NoSuchBucket") return Status::Ok();
    }
    return b_->Failure(c, r);
  }

 private:
  std::shared_ptr<S3Bucket> b_;
};

// "scheme://host[:port]" normalised (lowercase scheme, no trailing '/', no default port), or
// what is wrong with it. The URL is never echoed: it could carry a password.
Result<std::string> NormalizeEndpoint(std::string_view url, std::string* scheme_out,
                                      std::string* host_out) {
  std::string scheme;
  if (StartsWithNoCase(url, "https://")) {
    scheme = "https";
  } else if (StartsWithNoCase(url, "http://")) {
    scheme = "http";
  } else {
    return InvalidArgument("the S3 endpoint must start with http:// or https://");
  }
  std::string_view host = url.substr(scheme.size() + 3);
  while (!host.empty() && host.back() == '/') host.remove_suffix(1);
  if (host.empty()) return InvalidArgument("the S3 endpoint has no host");
  if (host.find_first_of("/?#@ \t") != std::string_view::npos)
    return InvalidArgument(
        "the S3 endpoint must be scheme://host[:port], without user info, path or query");
  const std::string_view default_port = scheme == "https" ? ":443" : ":80";
  if (host.size() > default_port.size() &&
      host.substr(host.size() - default_port.size()) == default_port &&
      host[host.size() - default_port.size() - 1] != ':')
    host.remove_suffix(default_port.size());
  if (scheme_out != nullptr) *scheme_out = scheme;
  if (host_out != nullptr) *host_out = std::string(host);
  return scheme + "://" + std::string(host);
}

}  // namespace

std::string S3Addressing::Path(std::string_view key) const {
  if (key.empty()) return bucket_path.empty() ? "/" : bucket_path;
  return bucket_path + "/" + std::string(key);
}

std::string S3Addressing::Url(std::string_view key) const {
  return scheme + "://" + host + AwsUriEncode(Path(key), /*keep_slash=*/true);
}

Result<S3Addressing> ResolveS3Addressing(std::string_view bucket, std::string_view endpoint_url,
                                         S3PathStyle path_style, std::string_view region) {
  STRM_RETURN_IF_ERROR(CheckBucketName(bucket));
  S3Addressing a;
  std::string service_host;
  if (endpoint_url.empty()) {
    if (!IsRegionName(region))
      return InvalidArgument("invalid AWS region '" + ForMessage(region, 64) + "'");
    const bool china = region.substr(0, 3) == "cn-";
    a.scheme = "https";
    service_host = "s3." + std::string(region) + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
    a.path_style = path_style == S3PathStyle::kOn ||
                   (path_style == S3PathStyle::kAuto && !IsDnsLabelBucket(bucket));
  } else {
    STRM_RETURN_IF_ERROR(NormalizeEndpoint(endpoint_url, &a.scheme, &service_host).status());
    a.path_style = path_style != S3PathStyle::kOff;
  }
  if (!a.path_style && !IsHostBucket(bucket))
    return InvalidArgument("S3 bucket '" + std::string(bucket) +
                           "' cannot be addressed virtual-hosted style (its name is not a host "
                           "name); use path-style addressing");
  a.host = a.path_style ? service_host : std::string(bucket) + "." + service_host;
  a.bucket_path = a.path_style ? "/" + std::string(bucket) : std::string();
  return a;
}

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  STRM_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  if (root.name == "Error")
    return InvalidArgument("S3 answered with an error: " + ForMessage(root.ChildText("Code"), 64) +
                           " (" + ForMessage(root.ChildText("Message"), kMaxShownMessage) + ")");
  if (root.name != "ListBucketResult")
    return InvalidArgument("expected a <ListBucketResult>, got <" + ForMessage(root.name, 64) +
                           ">");
  S3ListPage page;
  for (XmlElement& child : root.children) {
    if (child.name == "Contents") {
      const XmlElement* key = child.Child("Key");
      if (key == nullptr || key->text.empty())
        return InvalidArgument("a <Contents> element has no <Key>");
      auto size = ParseUint(child.ChildText("Size"));
      if (!size)
        return InvalidArgument("the <Size> of '" + ForMessage(key->text, 200) +
                               "' is not a number");
      page.objects.push_back({key->text, *size});
    } else if (child.name == "IsTruncated") {
      if (child.text != "true" && child.text != "false")
        return InvalidArgument("<IsTruncated> is neither true nor false");
      page.truncated = child.text == "true";
    } else if (child.name == "NextContinuationToken") {
      page.next_continuation_token = std::move(child.text);
    }
  }
  if (page.truncated && page.next_continuation_token.empty())
    return InvalidArgument("a truncated listing has no <NextContinuationToken>");
  return page;
}

Result<std::shared_ptr<ObjectStore>> OpenS3Store(S3StoreOptions o) {
  STRM_RETURN_IF_ERROR(CheckBucketName(o.bucket));
  const std::string name = "s3://" + o.bucket;
  if (o.part_size < kS3MinPartSize || o.part_size > kS3MaxPartSize)
    return InvalidArgument(name + ": the part size must be between 5 MiB and 5 GiB, not " +
                           std::to_string(o.part_size) + " bytes");
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
      auto normalized = NormalizeEndpoint(url, nullptr, nullptr);
      if (!normalized.ok()) return normalized.status().WithContext(name + ": " + from);
      o.credentials.endpoint_url = *normalized;
    }
  }

  std::string region = o.region;
  if (region.empty()) region = env("AWS_REGION");
  if (region.empty()) region = env("AWS_DEFAULT_REGION");
  if (!region.empty() && !IsRegionName(region))
    return InvalidArgument(name + ": invalid region '" + ForMessage(region, 64) + "'");
  const bool discover = region.empty();
  if (!o.http) o.http = std::make_shared<HttpClient>();

  auto bucket = std::make_shared<S3Bucket>(std::move(o), std::move(creds));
  STRM_RETURN_IF_ERROR(bucket->Init(discover ? std::string(kDefaultRegion) : region));
  if (discover) {
    S3Call c("HEAD", "HEAD");
    STRM_ASSIGN_OR_RETURN(HttpResponse r, bucket->Execute(c));
    if (r.status == 404) return NotFound(bucket->Prefix(c) + ": no such bucket (HTTP 404)");
    const std::string* found = r.FindHeader("x-amz-bucket-region");
    if (found != nullptr && IsRegionName(*found) && *found != bucket->region())
      STRM_RETURN_IF_ERROR(bucket->Init(*found));
  }
  return std::shared_ptr<ObjectStore>(std::make_shared<S3Store>(std::move(bucket)));
}

}  // namespace strm
