#include "storage/gcs_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/chunked_upload.h"
#include "net/curl_transport.h"
#include "net/http_status.h"
#include "net/oauth_token.h"
#include "net/ranged_reader.h"
#include "net/token_cache.h"
#include "storage/jwt.h"

namespace strm {
namespace {

constexpr size_t kMaxNameBytes = 1024;
constexpr std::chrono::seconds kDefaultTokenLifetime{3600};  // Google's, if it does not say

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Result<uint64_t> ParseUint(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    return InvalidArgument("'" + std::string(s.substr(0, 40)) + "' is not a number");
  return v;
}

bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2)) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

Status CheckName(std::string_view name) {
  if (name.empty()) return InvalidArgument("a GCS object name must not be empty");
  if (name.size() > kMaxNameBytes)
    return InvalidArgument("GCS object name '" + std::string(name.substr(0, 60)) +
                           "...' is longer than 1024 bytes");
  if (name.find_first_of("\r\n") != std::string_view::npos)
    return InvalidArgument("GCS object names must not contain line breaks");
  if (name == "." || name == "..")
    return InvalidArgument("'" + std::string(name) + "' is not a valid GCS object name");
  if (!IsUtf8(name)) return InvalidArgument("GCS object names must be UTF-8");
  return Status::Ok();
}

// Google's bucket naming rules, loosely: what can go into a URL path and gs:// as it is.
Status CheckBucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 222)
    return InvalidArgument("GCS bucket name '" + std::string(bucket) +
                           "' must be 3-222 characters");
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return InvalidArgument("GCS bucket name '" + std::string(bucket) +
                             "' may only contain a-z, 0-9, '-', '_' and '.'");
  }
  return Status::Ok();
}

// Normalises an endpoint; `bare_host_ok` lets "host:port" mean "http://host:port".
Result<std::string> NormalizeEndpoint(std::string_view url, bool bare_host_ok) {
  std::string scheme = "http://";
  if (StartsWith(url, "http://")) {
    url.remove_prefix(7);
  } else if (StartsWith(url, "https://")) {
    scheme = "https://";
    url.remove_prefix(8);
  } else if (url.find("://") != std::string_view::npos) {
    return InvalidArgument("must be http:// or https://");
  } else if (!bare_host_ok) {
    return InvalidArgument("must start with http:// or https://");
  }
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty()) return InvalidArgument("has no host");
  if (url.find('@') != std::string_view::npos) return InvalidArgument("must not hold user info");
  if (url.find_first_of("/?#") != std::string_view::npos)
    return InvalidArgument("must be scheme://host[:port], without a path or query");
  return scheme + std::string(url);
}

// ---- requests -----------------------------------------------------------------------------

// The service account's access token (see the header): a JWT signed with its key, exchanged at
// its token_uri.
Result<BearerToken> FetchToken(const GcsCredentials& credentials, HttpTransport& http,
                               const RetryPolicy& retry, const HttpTimeouts& timeouts) {
  OAuthTokenRequest t;
  t.url = credentials.token_uri;
  t.who = "the token request to " + RedactUrl(credentials.token_uri) + " for service account " +
          credentials.client_email;
  Result<std::string> jwt = MakeServiceAccountJwt(
      credentials.client_email, credentials.private_key, credentials.token_uri, kGcsReadWriteScope,
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()),
      credentials.private_key_id);
  if (!jwt.ok()) return jwt.status().WithContext(t.who);
  t.form = "grant_type=" + PercentEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
           "&assertion=" + PercentEncode(*jwt);
  t.default_lifetime = kDefaultTokenLifetime;
  t.timeouts = timeouts;
  return FetchOAuthToken(http, retry, t);
}

// What the store and its streams share. Immutable but for the token cache.
class GcsClient {
 public:
  GcsClient(GcsStoreOptions o, std::string endpoint)
      : bucket_(std::move(o.bucket)),
        endpoint_(std::move(endpoint)),
        http_(std::move(o.http)),
        retry_(o.retry),
        timeouts_(o.timeouts),
        chunk_size_(o.chunk_size),
        read_size_(o.read_size),
        page_size_(o.list_page_size),
        rewrite_bytes_per_call_(o.rewrite_bytes_per_call),
        tokens_(
            [credentials = std::move(o.credentials), http = http_, retry = o.retry,
             timeouts = o.timeouts] { return FetchToken(credentials, *http, retry, timeouts); }) {}

  const std::string& bucket() const { return bucket_; }
  size_t chunk_size() const { return chunk_size_; }
  size_t read_size() const { return read_size_; }
  int page_size() const { return page_size_; }
  size_t rewrite_bytes_per_call() const { return rewrite_bytes_per_call_; }
  const RetryPolicy& retry() const { return retry_; }

  std::string GsUrl(std::string_view name) const {
    return "gs://" + bucket_ + "/" + std::string(name);
  }
  // "GCS PUT gs://b/k (upload part 2)": how messages name a request.
  std::string What(std::string_view method, std::string_view name, std::string_view op = {}) const {
    return RequestName("GCS", method, GsUrl(name), op);
  }
  std::string ObjectsUrl() const {
    return endpoint_ + "/storage/v1/b/" + PercentEncode(bucket_) + "/o";
  }
  std::string ObjectUrl(std::string_view name) const {
    return ObjectsUrl() + "/" + PercentEncode(name);
  }
  std::string UploadUrl() const {
    return endpoint_ + "/upload/storage/v1/b/" + PercentEncode(bucket_) + "/o";
  }

  HttpRequest Request(std::string method, std::string url) const {
    HttpRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.timeouts = timeouts_;
    return req;
  }

  // `req` sent once with the bearer token (see SendWithToken).
  Result<HttpResponse> SendOnce(const HttpRequest& req, const HttpBodySink* sink,
                                Status& token_error) {
    return SendWithToken(*http_, tokens_, req, sink, token_error);
  }

  // Runs `attempt` (one try, usually SendOnce) under the retry policy; errors name `what`.
  Result<HttpResponse> Retried(std::string_view what,
                               const std::function<Result<HttpResponse>(Status&)>& attempt) {
    return WithTokenRetries(retry_, what, attempt);
  }

  // `req` sent with retries, the whole body collected.
  Result<HttpResponse> Send(const HttpRequest& req, std::string_view what) {
    return Retried(what, [&](Status& token_error) { return SendOnce(req, nullptr, token_error); });
  }

 private:
  const std::string bucket_, endpoint_;
  const std::shared_ptr<HttpTransport> http_;
  const RetryPolicy retry_;
  const HttpTimeouts timeouts_;
  const size_t chunk_size_, read_size_;
  const int page_size_;
  const size_t rewrite_bytes_per_call_;
  TokenCache tokens_;
};

// ---- reading and writing ------------------------------------------------------------------

// Media downloads in ranges, pinned to the generation of the first answer.
class GcsRanges final : public RangeSource {
 public:
  GcsRanges(std::shared_ptr<GcsClient> c, std::string name)
      : c_(std::move(c)), name_(std::move(name)) {}

  Result<HttpResponse> GetRange(uint64_t first, uint64_t last, const std::string& version,
                                const HttpBodySink& sink, Status& token_error) override {
    std::string url = c_->ObjectUrl(name_) + "?alt=media";
    if (!version.empty()) url += "&generation=" + version;
    HttpRequest req = c_->Request("GET", std::move(url));
    req.headers = {{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}};
    return c_->SendOnce(req, &sink, token_error);
  }

  std::string VersionOf(const HttpResponse& r) const override {
    const std::string* g = r.FindHeader("x-goog-generation");
    return g != nullptr ? *g : std::string();
  }

 private:
  const std::shared_ptr<GcsClient> c_;
  const std::string name_;
};

// A media upload, or a resumable upload session (see the header).
class GcsUpload final : public UploadProtocol {
 public:
  GcsUpload(std::shared_ptr<GcsClient> c, std::string name)
      : c_(std::move(c)), name_(std::move(name)) {}

  Status PutWhole(std::string_view data) override {
    HttpRequest req =
        c_->Request("POST", c_->UploadUrl() + "?uploadType=media&name=" + PercentEncode(name_));
    req.headers = {{"Content-Type", "application/octet-stream"}};
    req.body = data;
    const std::string what = c_->What("POST", name_, "upload");
    STRM_ASSIGN_OR_RETURN(HttpResponse r, c_->Send(req, what));
    return IsHttpSuccess(r.status) ? Status::Ok() : HttpFailure(what, r);
  }

  Status Start() override {
    HttpRequest req =
        c_->Request("POST", c_->UploadUrl() + "?uploadType=resumable&name=" + PercentEncode(name_));
    req.headers = {{"X-Upload-Content-Type", "application/octet-stream"}};
    const std::string what = c_->What("POST", name_, "start resumable upload");
    STRM_ASSIGN_OR_RETURN(HttpResponse r, c_->Send(req, what));
    if (!IsHttpSuccess(r.status)) return HttpFailure(what, r);
    const std::string* location = r.FindHeader("location");
    if (location == nullptr ||
        !(location->starts_with("https://") || location->starts_with("http://")))
      return Internal(what + ": the resumable upload was opened without a session URI");
    session_ = *location;
    return Status::Ok();
  }

  // Sends bytes [offset, offset + data.size()) into the session; `last` also gives the total,
  // which completes the object. Each round goes through the retry policy; a try after a
  // failure first asks the session what it holds, and sends only the rest. A round ends on an
  // answer: 308 short of the end (Google may keep less than it was sent) starts another round
  // from there, 200/201 is the object.
  Status SendPart(int number, uint64_t offset, std::string_view data, bool last) override {
    const std::string what = c_->What("PUT", name_, "upload part " + std::to_string(number));
    const uint64_t start = offset, end = offset + data.size();
    const std::string total = last ? std::to_string(end) : "*";
    const HttpRequest base = c_->Request("PUT", session_);
    uint64_t persisted = start;  // what the session holds, as far as we know
    bool ask_first = false;      // whether the next round must query the session first
    for (int stalled = 0;;) {
      int tries = 0;
      auto r = c_->Retried(what, [&](Status& token_error) -> Result<HttpResponse> {
        const bool retry = tries++ > 0;
        if (ask_first || retry) {
          HttpRequest query = base;
          query.headers = {{"Content-Range", "bytes */" + total}};
          auto q = c_->SendOnce(query, nullptr, token_error);
          if (!q.ok() || q->status != 308) return q;  // a failure, or 200/201: complete
          STRM_ASSIGN_OR_RETURN(uint64_t held, Persisted(*q));
          if (held < start || held > end)
            return FailedPrecondition("the upload session holds " + std::to_string(held) +
                                      " bytes, not the " + std::to_string(start) +
                                      " it acknowledged");
          ask_first = false;
          persisted = held;
          if (!last && persisted == end) return q;  // only the answer to the chunk was lost
        }
        HttpRequest put = base;
        put.body = data.substr(persisted - start);
        put.headers = {{"Content-Range", put.body.empty()
                                             ? "bytes */" + total
                                             : "bytes " + std::to_string(persisted) + "-" +
                                                   std::to_string(end - 1) + "/" + total}};
        return c_->SendOnce(put, nullptr, token_error);
      });
      if (!r.ok()) return r.status();
      if (r->status == 200 || r->status == 201) {
        if (last) return Status::Ok();
        return Internal(what + ": the upload session completed before its last part");
      }
      if (r->status == 404 || r->status == 410)
        return FailedPrecondition(
            what + ": the upload session expired or was cancelled: " + DescribeHttpFailure(*r));
      if (r->status != 308) return HttpFailure(what, *r);
      auto held = Persisted(*r);
      if (!held.ok()) return held.status().WithContext(what);
      if (!last && *held == end) return Status::Ok();
      const bool progress = *held > persisted && *held <= end;
      if (*held >= start && *held <= end) {
        persisted = *held;
      } else {
        ask_first = true;  // a 308 without a sensible Range says nothing reliable: ask
      }
      if (progress) {
        stalled = 0;
      } else if (++stalled >= std::max(c_->retry().max_attempts, 1)) {
        return Unavailable(what + ": the upload session took no more bytes after " +
                           std::to_string(persisted) + " in " + std::to_string(stalled) +
                           " rounds");
      }
    }
  }

  Status Finish(uint64_t) override { return Status::Ok(); }  // the last part completed it

  // Cancels the session. Failures are ignored: an abandoned session expires on Google's side
  // after a week, and holds no object.
  void Abort() override {
    if (session_.empty()) return;
    HttpRequest req = c_->Request("DELETE", session_);
    req.headers = {{"Content-Length", "0"}};  // Google wants one on the cancel request
    (void)c_->Send(req, c_->What("DELETE", name_, "cancel upload"));  // 499 is success
    session_.clear();
  }

 private:
  // What a session answered 308 holds: "Range: bytes=0-N" is N + 1; none is nothing.
  static Result<uint64_t> Persisted(const HttpResponse& r) {
    const std::string* range = r.FindHeader("range");
    if (range == nullptr) return uint64_t{0};
    auto last = StartsWith(*range, "bytes=0-") ? ParseUint(std::string_view(*range).substr(8))
                                               : Result<uint64_t>(InvalidArgument("bad Range"));
    if (!last.ok())
      return Internal("the upload session answered Range '" + ForMessage(*range, 64) + "'");
    return *last + 1;
  }

  const std::shared_ptr<GcsClient> c_;
  const std::string name_;
  std::string session_;  // the resumable session URI; empty until Start
};

// ---- the store ----------------------------------------------------------------------------

class GcsStore final : public ObjectStore {
 public:
  explicit GcsStore(std::shared_ptr<GcsClient> c) : c_(std::move(c)) {}

  std::string Describe() const override { return "gs://" + c_->bucket(); }

  std::string ObjectUri(std::string_view key) const override { return c_->GsUrl(key); }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    const std::string what = c_->What("GET", prefix, "list");
    std::vector<ObjectInfo> out;
    std::string page;
    do {
      std::string url = c_->ObjectsUrl() + "?prefix=" + PercentEncode(prefix) +
                        "&maxResults=" + std::to_string(c_->page_size()) +
                        "&fields=" + PercentEncode("items(name,size),nextPageToken");
      if (!page.empty()) url += "&pageToken=" + PercentEncode(page);
      STRM_ASSIGN_OR_RETURN(HttpResponse r, c_->Send(c_->Request("GET", url), what));
      if (!IsHttpSuccess(r.status)) return HttpFailure(what, r);
      STRM_ASSIGN_OR_RETURN(std::string next, ParsePage(r.body, prefix, what, out));
      if (!next.empty() && next == page)
        return Internal(what + ": the listing repeats its page token");
      page = std::move(next);
    } while (!page.empty());
    // Google lists in byte order already; sorting again costs little and makes it a promise.
    SortByKey(out);
    return out;
  }

  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckName(key));
    RangedReaderOptions o;
    o.what = c_->What("GET", key);
    o.retry = c_->retry();
    o.chunk_size = c_->read_size();
    return OpenRangedReader(std::make_shared<GcsRanges>(c_, std::string(key)), std::move(o));
  }

  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions&) override {
    STRM_RETURN_IF_ERROR(CheckName(key));
    return std::unique_ptr<OutputStream>(
        new ChunkedUpload(std::make_unique<GcsUpload>(c_, std::string(key)), c_->chunk_size(),
                          INT32_MAX, c_->What("PUT", key)));
  }

  // objects.rewrite, call after call with the rewriteToken of the one before, until done: the
  // object appears under `to`, whole, with the last call.
  Status Copy(std::string_view from, std::string_view to) override {
    STRM_RETURN_IF_ERROR(CheckName(from));
    STRM_RETURN_IF_ERROR(CheckName(to));
    const std::string what = c_->What("POST", to, "rewrite from " + c_->GsUrl(from));
    std::string base = c_->ObjectUrl(from) + "/rewriteTo/b/" + PercentEncode(c_->bucket()) + "/o/" +
                       PercentEncode(to) + "?";
    if (c_->rewrite_bytes_per_call() > 0)
      base += "maxBytesRewrittenPerCall=" + std::to_string(c_->rewrite_bytes_per_call()) + "&";
    std::string token;
    for (;;) {
      std::string url = base;
      if (!token.empty()) url += "rewriteToken=" + PercentEncode(token);
      if (url.back() == '?' || url.back() == '&') url.pop_back();
      STRM_ASSIGN_OR_RETURN(HttpResponse r, c_->Send(c_->Request("POST", std::move(url)), what));
      if (!IsHttpSuccess(r.status)) return HttpFailure(what, r);
      const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
      const auto done = j.is_object() ? j.find("done") : j.end();
      if (!j.is_object() || done == j.end() || !done->is_boolean())
        return Internal(what + ": the answer is not a rewrite response");
      if (done->get<bool>()) return Status::Ok();
      const auto next = j.find("rewriteToken");
      if (next == j.end() || !next->is_string() || next->get_ref<const std::string&>().empty() ||
          next->get_ref<const std::string&>() == token)
        return Internal(what + ": an unfinished rewrite without a new rewriteToken");
      token = next->get<std::string>();
    }
  }

  Status Delete(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckName(key));
    const std::string what = c_->What("DELETE", key);
    STRM_ASSIGN_OR_RETURN(HttpResponse r,
                          c_->Send(c_->Request("DELETE", c_->ObjectUrl(key)), what));
    if (IsHttpSuccess(r.status) || r.status == 404) return Status::Ok();
    return HttpFailure(what, r);
  }

 private:
  // Appends one page's objects to `out`; returns its nextPageToken ("" on the last page).
  static Result<std::string> ParsePage(const std::string& body, std::string_view prefix,
                                       const std::string& what, std::vector<ObjectInfo>& out) {
    const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return Internal(what + ": the listing is not a JSON object");
    if (const auto items = j.find("items"); items != j.end()) {
      if (!items->is_array()) return Internal(what + ": the listing's items are not a list");
      for (const nlohmann::json& item : *items) {
        const auto name = item.is_object() ? item.find("name") : item.end();
        if (!item.is_object() || name == item.end() || !name->is_string())
          return Internal(what + ": a listed object has no name");
        ObjectInfo info{name->get<std::string>(), 0};
        if (const auto size = item.find("size"); size != item.end()) {
          // The JSON API sends 64-bit numbers as strings.
          if (size->is_string()) {
            auto v = ParseUint(size->get_ref<const std::string&>());
            if (!v.ok()) return Internal(what + ": object " + info.key + " has a bad size");
            info.size = *v;
          } else if (size->is_number_unsigned()) {
            info.size = size->get<uint64_t>();
          }
        }
        if (StartsWith(info.key, prefix) && !IsTemporaryKey(info.key))
          out.push_back(std::move(info));
      }
    }
    const auto next = j.find("nextPageToken");
    if (next == j.end() || next->is_null()) return std::string();
    if (!next->is_string()) return Internal(what + ": the listing's nextPageToken is no string");
    return next->get<std::string>();
  }

  const std::shared_ptr<GcsClient> c_;
};

}  // namespace

std::string GcsEncode(std::string_view text) { return PercentEncode(text); }

Result<std::string> ResolveGcsEndpoint(std::string_view configured, const char* emulator_host) {
  if (!configured.empty()) {
    auto e = NormalizeEndpoint(configured, /*bare_host_ok=*/false);
    if (!e.ok()) return InvalidArgument("the GCS endpoint " + e.status().message());
    return e;
  }
  if (emulator_host != nullptr && *emulator_host != '\0') {
    auto e = NormalizeEndpoint(emulator_host, /*bare_host_ok=*/true);
    if (!e.ok()) return InvalidArgument("STORAGE_EMULATOR_HOST " + e.status().message());
    return e;
  }
  return std::string(kGcsDefaultEndpoint);
}

Result<std::shared_ptr<ObjectStore>> OpenGcsStore(GcsStoreOptions options) {
  STRM_RETURN_IF_ERROR(CheckBucket(options.bucket));
  if (options.chunk_size == 0 || options.chunk_size % kGcsChunkUnit != 0)
    return InvalidArgument(
        "the GCS upload chunk size must be a positive multiple of 256 KiB, not " +
        std::to_string(options.chunk_size));
  if (options.read_size == 0) return InvalidArgument("the GCS read size must not be 0");
  if (options.rewrite_bytes_per_call % (size_t{1} << 20) != 0)
    return InvalidArgument("the GCS rewrite size per call must be a multiple of 1 MiB");
  if (options.list_page_size < 1 || options.list_page_size > 1000)
    return InvalidArgument("the GCS list page size must be 1-1000");
  const GcsCredentials& c = options.credentials;
  if (c.client_email.empty()) return InvalidArgument("the GCS credentials have no client_email");
  if (!StartsWith(c.token_uri, "https://") && !StartsWith(c.token_uri, "http://"))
    return InvalidArgument("the token_uri of the GCS credentials must be an http(s) URL");
  if (Status s = CheckRsaPrivateKeyPem(c.private_key); !s.ok())
    return s.WithContext("the GCS credentials of " + c.client_email);
  STRM_ASSIGN_OR_RETURN(std::string endpoint,
                        ResolveGcsEndpoint(options.endpoint, std::getenv("STORAGE_EMULATOR_HOST")));
  if (options.http == nullptr) options.http = std::make_shared<CurlTransport>();
  auto client = std::make_shared<GcsClient>(std::move(options), std::move(endpoint));
  return std::shared_ptr<ObjectStore>(std::make_shared<GcsStore>(std::move(client)));
}

}  // namespace strm
