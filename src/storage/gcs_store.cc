#include "storage/gcs_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/jwt.h"

namespace strm {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxErrorText = 300;  // of a server's error message in ours
constexpr size_t kMaxNameBytes = 1024;
constexpr std::chrono::seconds kMaxRefreshMargin{300};

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

// Printable text of at most kMaxErrorText bytes, for messages.
std::string Clip(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (s.size() > kMaxErrorText) s = s.substr(0, kMaxErrorText) + "...";
  return s;
}

// The message of a JSON API error ({"error": {"message": ...}}) or an OAuth error
// ({"error": "invalid_grant", "error_description": ...}); "" when the body is neither.
std::string ServerMessage(const HttpResponse& r) {
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return "";
  const auto e = j.find("error");
  if (e == j.end()) return "";
  if (e->is_object()) {
    const auto m = e->find("message");
    return m != e->end() && m->is_string() ? Clip(m->get<std::string>()) : "";
  }
  if (!e->is_string()) return "";
  std::string out = e->get<std::string>();
  const auto d = j.find("error_description");
  if (d != j.end() && d->is_string()) out += ": " + d->get<std::string>();
  return Clip(std::move(out));
}

// "HTTP 403: Access denied.", or "HTTP 502" when the body says nothing.
std::string DescribeResponse(const HttpResponse& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  std::string m = ServerMessage(r);
  if (!m.empty()) out += ": " + m;
  return out;
}

StatusCode CodeOf(int http_status) {
  switch (http_status) {
    case 401:
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
    case 410:
      return StatusCode::kNotFound;
    case 409:
    case 412:
      return StatusCode::kFailedPrecondition;
    default:
      return http_status >= 400 && http_status < 500 ? StatusCode::kInvalidArgument
                                                     : StatusCode::kUnavailable;
  }
}

// `context` ("cannot read gs://b/k"), the response and the request it answered.
Status HttpFailure(std::string_view context, const HttpRequest& req, const HttpResponse& r) {
  return Status(CodeOf(r.status), std::string(context) + ": " + DescribeResponse(r) + " (" +
                                      DescribeRequest(req) + ")");
}

bool IsOk(int status) { return status >= 200 && status < 300; }

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

// ---- access tokens ------------------------------------------------------------------------

// The service account's access token, cached (see the header). Thread-safe.
class TokenSource {
 public:
  TokenSource(GcsCredentials credentials, std::shared_ptr<HttpClient> http, RetryPolicy retry,
              HttpTimeouts timeouts)
      : credentials_(std::move(credentials)),
        http_(std::move(http)),
        retry_(std::move(retry)),
        timeouts_(timeouts) {}

  Result<std::string> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (token_.empty() || SteadyClock::now() >= refresh_at_) STRM_RETURN_IF_ERROR(Fetch());
    return token_;
  }

  // The server refused `token`: drop it, unless another thread already replaced it.
  void Invalidate(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    if (token_ == token) token_.clear();
  }

 private:
  // Requires mu_.
  Status Fetch() {
    const std::string who = "the token request to " + RedactUrl(credentials_.token_uri) +
                            " for service account " + credentials_.client_email;
    const auto issued = SteadyClock::now();
    STRM_ASSIGN_OR_RETURN(std::string jwt,
                          MakeServiceAccountJwt(credentials_.client_email, credentials_.private_key,
                                                credentials_.token_uri, kGcsReadWriteScope,
                                                std::chrono::time_point_cast<std::chrono::seconds>(
                                                    std::chrono::system_clock::now()),
                                                credentials_.private_key_id));
    const std::string body =
        "grant_type=" + GcsEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
        "&assertion=" + GcsEncode(jwt);
    HttpRequest req;
    req.method = "POST";
    req.url = credentials_.token_uri;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    req.body = body;
    req.timeouts = timeouts_;
    auto r = WithRetries(retry_, DescribeRequest(req), [&] { return http_->Send(req); });
    if (!r.ok()) return r.status().WithContext(who);
    if (!IsOk(r->status)) {
      // Google answers a refused grant with 400 and an OAuth error: the credentials are wrong.
      const StatusCode code = r->status == 400 || r->status == 401 || r->status == 403
                                  ? StatusCode::kPermissionDenied
                                  : CodeOf(r->status);
      return Status(code, who + " was refused: " + DescribeResponse(*r));
    }
    // The body holds the token: never quote it.
    const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    const auto token = j.is_object() ? j.find("access_token") : j.end();
    if (!j.is_object() || token == j.end() || !token->is_string() ||
        token->get_ref<const std::string&>().empty())
      return Internal(who + " was answered without an access_token");
    int64_t lifetime = 3600;  // Google's, if the answer does not say
    if (const auto e = j.find("expires_in"); e != j.end()) {
      if (e->is_number()) {
        lifetime = static_cast<int64_t>(std::clamp(e->get<double>(), 0.0, 1e9));
      } else if (e->is_string()) {
        auto v = ParseUint(e->get<std::string>());
        if (v.ok()) lifetime = static_cast<int64_t>(*v);
      }
    }
    const auto life = std::chrono::seconds(std::max<int64_t>(lifetime, 0));
    const auto margin = std::min<SteadyClock::duration>(kMaxRefreshMargin, life / 2);
    token_ = token->get<std::string>();
    refresh_at_ = issued + life - margin;
    return Status::Ok();
  }

  const GcsCredentials credentials_;
  const std::shared_ptr<HttpClient> http_;
  const RetryPolicy retry_;
  const HttpTimeouts timeouts_;
  std::mutex mu_;
  std::string token_;                   // guarded by mu_; empty: none yet, or refused
  SteadyClock::time_point refresh_at_;  // guarded by mu_
};

// ---- requests -----------------------------------------------------------------------------

// What the store and its streams share. Immutable but for the token source.
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
        tokens_(std::move(o.credentials), http_, std::move(o.retry), o.timeouts) {}

  const std::string& bucket() const { return bucket_; }
  size_t chunk_size() const { return chunk_size_; }
  size_t read_size() const { return read_size_; }
  int page_size() const { return page_size_; }
  const RetryPolicy& retry() const { return retry_; }

  std::string GsUrl(std::string_view name) const {
    return "gs://" + bucket_ + "/" + std::string(name);
  }
  std::string ObjectsUrl() const {
    return endpoint_ + "/storage/v1/b/" + GcsEncode(bucket_) + "/o";
  }
  std::string ObjectUrl(std::string_view name) const {
    return ObjectsUrl() + "/" + GcsEncode(name);
  }
  std::string UploadUrl() const {
    return endpoint_ + "/upload/storage/v1/b/" + GcsEncode(bucket_) + "/o";
  }

  HttpRequest Request(std::string method, std::string url) const {
    HttpRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.timeouts = timeouts_;
    return req;
  }

  // Sends `req` once with the bearer token (through `sink` if given). A 401 drops the token
  // and sends once more with a fresh one. A token that cannot be had is put in `auth_error`,
  // and a Status that is not retryable is returned: the token request had its own retries.
  Result<HttpResponse> SendOnce(HttpRequest req, const HttpBodySink* sink, Status& auth_error) {
    const size_t auth = req.headers.size();
    req.headers.push_back({"Authorization", ""});
    for (int pass = 0;; ++pass) {
      auto token = tokens_.Get();
      if (!token.ok()) {
        auth_error = token.status();
        return FailedPrecondition("no access token");
      }
      req.headers[auth].value = "Bearer " + *token;
      auto r = sink != nullptr ? http_->Stream(req, *sink) : http_->Send(req);
      if (pass == 0 && r.ok() && r->status == 401) {
        tokens_.Invalidate(*token);
        continue;
      }
      return r;
    }
  }

  // Runs `attempt` (one try, usually SendOnce) through WithRetries. A failure after the last
  // try also gives the server's message of the last answer, and a token failure wins.
  Result<HttpResponse> Retried(const HttpRequest& req,
                               const std::function<Result<HttpResponse>(Status&)>& attempt) {
    Status auth_error;
    std::string last_message;
    auto r = WithRetries(retry_, DescribeRequest(req), [&]() -> Result<HttpResponse> {
      auto one = attempt(auth_error);
      last_message = one.ok() && IsRetryable(*one) ? ServerMessage(*one) : "";
      return one;
    });
    if (!auth_error.ok()) return auth_error;
    if (!r.ok() && r.status().code() == StatusCode::kUnavailable && !last_message.empty())
      return Status(r.status().code(), r.status().message() + ": " + last_message);
    return r;
  }

  // `req` sent with retries, the whole body collected.
  Result<HttpResponse> Send(const HttpRequest& req) {
    return Retried(req, [&](Status& auth_error) { return SendOnce(req, nullptr, auth_error); });
  }

 private:
  const std::string bucket_, endpoint_;
  const std::shared_ptr<HttpClient> http_;
  const RetryPolicy retry_;
  const HttpTimeouts timeouts_;
  const size_t chunk_size_, read_size_;
  const int page_size_;
  TokenSource tokens_;
};

// ---- reading ------------------------------------------------------------------------------

// Ranged GETs of read_size bytes into one buffer; the generation of the first answer is
// pinned, so all bytes come from one version of the object.
class GcsInput final : public InputStream {
 public:
  GcsInput(std::shared_ptr<GcsClient> c, std::string name)
      : c_(std::move(c)), name_(std::move(name)) {}

  // The first range, so that OpenRead reports NotFound.
  Status Open() { return Fill(); }

  Result<size_t> Read(char* out, size_t n) override {
    if (n == 0) return size_t{0};
    while (pos_ == buf_.size()) {
      if (eof_) return size_t{0};
      STRM_RETURN_IF_ERROR(failed_);
      failed_ = Fill();
      STRM_RETURN_IF_ERROR(failed_);
    }
    const size_t k = std::min(n, buf_.size() - pos_);
    std::copy_n(buf_.data() + pos_, k, out);
    pos_ += k;
    return k;
  }

 private:
  Status Fill() {
    const std::string context = "cannot read " + c_->GsUrl(name_);
    uint64_t want = c_->read_size();
    if (size_known_) want = std::min<uint64_t>(want, size_ - offset_);
    std::string url = c_->ObjectUrl(name_) + "?alt=media";
    if (!generation_.empty()) url += "&generation=" + generation_;
    HttpRequest req = c_->Request("GET", url);
    req.headers = {
        {"Range", "bytes=" + std::to_string(offset_) + "-" + std::to_string(offset_ + want - 1)}};
    buf_.clear();
    pos_ = 0;
    // Bounded even if the server ignored the Range and sent the whole object.
    const HttpBodySink sink = [&](std::string_view chunk) -> Status {
      if (buf_.size() + chunk.size() > want)
        return FailedPrecondition("the server sent more than the " + std::to_string(want) +
                                  " bytes asked for");
      buf_.append(chunk);
      return Status::Ok();
    };
    auto r = c_->Retried(req, [&](Status& auth_error) {
      buf_.clear();  // a retry starts the range over
      return c_->SendOnce(req, &sink, auth_error);
    });
    if (!r.ok()) return r.status().WithContext(context);
    if (generation_.empty() && IsOk(r->status)) {
      if (const std::string* g = r->FindHeader("x-goog-generation")) generation_ = *g;
    }
    switch (r->status) {
      case 206: {
        STRM_RETURN_IF_ERROR(CheckContentRange(*r, context));
        break;
      }
      case 200:  // the whole object, which fitted
        if (offset_ != 0) return Internal(context + ": a ranged read was answered with all bytes");
        size_known_ = true;
        size_ = buf_.size();
        break;
      case 416:  // no byte at offset 0: the object is empty
        if (offset_ != 0) return HttpFailure(context, req, *r);
        size_known_ = true;
        size_ = 0;
        break;
      case 404:
        if (offset_ > 0)
          return FailedPrecondition(context + ": it was replaced or deleted while being read");
        return NotFound("object " + c_->GsUrl(name_) + " does not exist");
      default:
        return HttpFailure(context, req, *r);
    }
    offset_ += buf_.size();
    if (offset_ >= size_) eof_ = true;
    if (buf_.empty() && !eof_) return Internal(context + ": the server sent no bytes");
    return Status::Ok();
  }

  // "Content-Range: bytes a-b/total" must describe exactly what arrived.
  Status CheckContentRange(const HttpResponse& r, const std::string& context) {
    const std::string* h = r.FindHeader("content-range");
    std::string_view v = h != nullptr ? std::string_view(*h) : std::string_view();
    const size_t dash = v.find('-'), slash = v.find('/');
    if (!StartsWith(v, "bytes ") || dash == std::string_view::npos ||
        slash == std::string_view::npos || dash > slash)
      return Internal(context + ": a partial answer without a valid Content-Range");
    auto first = ParseUint(v.substr(6, dash - 6));
    auto last = ParseUint(v.substr(dash + 1, slash - dash - 1));
    auto total = ParseUint(v.substr(slash + 1));
    if (!first.ok() || !last.ok() || !total.ok() || *first != offset_ ||
        *last + 1 != offset_ + buf_.size() || *last >= *total)
      return Internal(context + ": Content-Range '" + std::string(v) + "' does not match bytes " +
                      std::to_string(offset_) + "-" + std::to_string(offset_ + buf_.size()) +
                      " received");
    if (size_known_ && *total != size_)
      return FailedPrecondition(context + ": it changed size while being read");
    size_known_ = true;
    size_ = *total;
    return Status::Ok();
  }

  const std::shared_ptr<GcsClient> c_;
  const std::string name_;
  std::string generation_;  // of the first answer; empty until then
  uint64_t offset_ = 0;     // of the next range
  uint64_t size_ = 0;
  bool size_known_ = false;
  bool eof_ = false;
  std::string buf_;
  size_t pos_ = 0;
  Status failed_;
};

// ---- writing ------------------------------------------------------------------------------

// Buffers one chunk; see the header for the protocol.
class GcsOutput final : public OutputStream {
 public:
  GcsOutput(std::shared_ptr<GcsClient> c, std::string name)
      : c_(std::move(c)), name_(std::move(name)), context_("cannot write " + c_->GsUrl(name_)) {}
  ~GcsOutput() override { Abort(); }

  Status Write(std::string_view data) override {
    STRM_RETURN_IF_ERROR(CheckOpen());
    const size_t chunk = c_->chunk_size();
    while (!data.empty()) {
      // A full buffer goes out only once more data follows: Commit() needs bytes to send.
      if (buf_.size() == chunk) {
        Status s = SendChunk(/*last=*/false);
        if (!s.ok()) return Fail(std::move(s));
      }
      const size_t take = std::min(chunk - buf_.size(), data.size());
      if (buf_.capacity() < buf_.size() + take)  // grow, but never past one chunk
        buf_.reserve(std::min(chunk, std::max(buf_.size() + take, 2 * buf_.capacity())));
      buf_.append(data.substr(0, take));
      data.remove_prefix(take);
    }
    return Status::Ok();
  }

  Status Commit() override {
    STRM_RETURN_IF_ERROR(CheckOpen());
    Status s = session_.empty() ? UploadAtOnce() : SendChunk(/*last=*/true);
    if (!s.ok()) return Fail(std::move(s));
    state_ = State::kCommitted;
    std::string().swap(buf_);
    return Status::Ok();
  }

  void Abort() override {
    if (state_ == State::kCommitted || state_ == State::kAborted) return;
    state_ = State::kAborted;
    std::string().swap(buf_);
    Cancel();
  }

 private:
  enum class State { kOpen, kCommitted, kAborted };

  Status CheckOpen() const {
    if (state_ == State::kOpen) return Status::Ok();
    return FailedPrecondition(context_ + ": the output was already " +
                              (state_ == State::kCommitted ? "committed" : "aborted or failed"));
  }

  // A failed write leaves nothing behind: the session is cancelled at once.
  Status Fail(Status s) {
    Abort();
    return s;
  }

  // One POST with the whole object (it fits in one chunk).
  Status UploadAtOnce() {
    HttpRequest req =
        c_->Request("POST", c_->UploadUrl() + "?uploadType=media&name=" + GcsEncode(name_));
    req.headers = {{"Content-Type", "application/octet-stream"}};
    req.body = buf_;
    auto r = c_->Send(req);
    if (!r.ok()) return r.status().WithContext(context_);
    if (!IsOk(r->status)) return HttpFailure(context_, req, *r);
    return Status::Ok();
  }

  Status StartSession() {
    HttpRequest req =
        c_->Request("POST", c_->UploadUrl() + "?uploadType=resumable&name=" + GcsEncode(name_));
    req.headers = {{"X-Upload-Content-Type", "application/octet-stream"}};
    auto r = c_->Send(req);
    if (!r.ok()) return r.status().WithContext(context_);
    if (!IsOk(r->status)) return HttpFailure(context_, req, *r);
    const std::string* location = r->FindHeader("location");
    if (location == nullptr ||
        !(StartsWith(*location, "https://") || StartsWith(*location, "http://")))
      return Internal(context_ + ": the resumable upload was opened without a session URI (" +
                      DescribeRequest(req) + ")");
    session_ = *location;
    return Status::Ok();
  }

  // What a session answered 308 holds: "Range: bytes=0-N" is N + 1; none is nothing.
  static Result<uint64_t> Persisted(const HttpResponse& r) {
    const std::string* range = r.FindHeader("range");
    if (range == nullptr) return uint64_t{0};
    auto last = StartsWith(*range, "bytes=0-") ? ParseUint(std::string_view(*range).substr(8))
                                               : Result<uint64_t>(InvalidArgument("bad Range"));
    if (!last.ok()) return Internal("the upload session answered Range '" + Clip(*range) + "'");
    return *last + 1;
  }

  // Sends buf_, bytes [sent_, sent_ + size) of the object, into the session; `last` also
  // gives the total, which completes the object. Each round goes through WithRetries; a try
  // after a failure first asks the session what it holds, and sends only the rest. A round
  // ends on an answer: 308 short of the end (Google may keep less than it was sent) starts
  // another round from there, 200/201 is the object.
  Status SendChunk(bool last) {
    if (session_.empty()) STRM_RETURN_IF_ERROR(StartSession());
    const uint64_t start = sent_, end = sent_ + buf_.size();
    const std::string total = last ? std::to_string(end) : "*";
    const HttpRequest base = c_->Request("PUT", session_);
    uint64_t persisted = start;  // what the session holds, as far as we know
    bool ask_first = false;      // whether the next round must query the session first
    for (int stalled = 0;;) {
      int tries = 0;
      auto r = c_->Retried(base, [&](Status& auth_error) -> Result<HttpResponse> {
        const bool retry = tries++ > 0;
        if (ask_first || retry) {
          HttpRequest query = base;
          query.headers = {{"Content-Range", "bytes */" + total}};
          auto q = c_->SendOnce(query, nullptr, auth_error);
          if (!q.ok() || q->status != 308) return q;  // a failure, or 200/201: complete
          STRM_ASSIGN_OR_RETURN(uint64_t held, Persisted(*q));
          if (held < start || held > end)
            return FailedPrecondition("the upload session holds " + std::to_string(held) +
                                      " bytes, not the " + std::to_string(start) +
                                      " it acknowledged (" + DescribeRequest(base) + ")");
          ask_first = false;
          persisted = held;
          if (!last && persisted == end) return q;  // only the answer to the chunk was lost
        }
        HttpRequest put = base;
        put.body = std::string_view(buf_).substr(persisted - start);
        put.headers = {{"Content-Range", put.body.empty()
                                             ? "bytes */" + total
                                             : "bytes " + std::to_string(persisted) + "-" +
                                                   std::to_string(end - 1) + "/" + total}};
        return c_->SendOnce(put, nullptr, auth_error);
      });
      if (!r.ok()) return r.status().WithContext(context_);
      if (r->status == 200 || r->status == 201) {
        if (last) break;
        return Internal(context_ + ": the upload session completed before its last chunk");
      }
      if (r->status == 404 || r->status == 410)
        return FailedPrecondition(context_ + ": the upload session expired or was cancelled: " +
                                  DescribeResponse(*r) + " (" + DescribeRequest(base) + ")");
      if (r->status != 308) return HttpFailure(context_, base, *r);
      auto held = Persisted(*r);
      if (!held.ok()) return held.status().WithContext(context_);
      if (!last && *held == end) break;
      const bool progress = *held > persisted && *held <= end;
      if (*held >= start && *held <= end) {
        persisted = *held;
      } else {
        ask_first = true;  // a 308 without a sensible Range says nothing reliable: ask
      }
      if (progress) {
        stalled = 0;
      } else if (++stalled >= std::max(c_->retry().max_attempts, 1)) {
        return Unavailable(context_ + ": the upload session took no more bytes after " +
                           std::to_string(persisted) + " in " + std::to_string(stalled) +
                           " rounds (" + DescribeRequest(base) + ")");
      }
    }
    sent_ = end;
    buf_.clear();
    return Status::Ok();
  }

  // Cancels the session, if one is open. Failures are ignored: an abandoned session expires
  // on Google's side after a week, and holds no object.
  void Cancel() {
    if (session_.empty()) return;
    HttpRequest req = c_->Request("DELETE", session_);
    req.headers = {{"Content-Length", "0"}};  // Google wants one on the cancel request
    (void)c_->Send(req);                      // 499 is success; 404 or 410: already gone
    session_.clear();
  }

  const std::shared_ptr<GcsClient> c_;
  const std::string name_, context_;
  std::string session_;  // the resumable session URI; empty until the first full chunk
  std::string buf_;      // bytes [sent_, sent_ + buf_.size()) of the object
  uint64_t sent_ = 0;    // bytes the session holds
  State state_ = State::kOpen;
};

// ---- the store ----------------------------------------------------------------------------

class GcsStore final : public ObjectStore {
 public:
  explicit GcsStore(std::shared_ptr<GcsClient> c) : c_(std::move(c)) {}

  std::string Describe() const override { return "gs://" + c_->bucket(); }

  std::string ObjectUri(std::string_view key) const override { return c_->GsUrl(key); }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    const std::string context = "cannot list " + c_->GsUrl(prefix);
    std::vector<ObjectInfo> out;
    std::string page;
    do {
      std::string url = c_->ObjectsUrl() + "?prefix=" + GcsEncode(prefix) +
                        "&maxResults=" + std::to_string(c_->page_size()) +
                        "&fields=" + GcsEncode("items(name,size),nextPageToken");
      if (!page.empty()) url += "&pageToken=" + GcsEncode(page);
      HttpRequest req = c_->Request("GET", url);
      auto r = c_->Send(req);
      if (!r.ok()) return r.status().WithContext(context);
      if (!IsOk(r->status)) return HttpFailure(context, req, *r);
      STRM_ASSIGN_OR_RETURN(std::string next, ParsePage(r->body, prefix, context, out));
      if (!next.empty() && next == page)
        return Internal(context + ": the listing repeats its page token");
      page = std::move(next);
    } while (!page.empty());
    // Google lists in byte order already; sorting again costs little and makes it a promise.
    SortByKey(out);
    return out;
  }

  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckName(key));
    auto in = std::make_unique<GcsInput>(c_, std::string(key));
    STRM_RETURN_IF_ERROR(in->Open());
    return std::unique_ptr<InputStream>(std::move(in));
  }

  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions&) override {
    STRM_RETURN_IF_ERROR(CheckName(key));
    return std::unique_ptr<OutputStream>(new GcsOutput(c_, std::string(key)));
  }

  Status Copy(std::string_view from, std::string_view to) override {
    return CopyThroughStreams(*this, from, to);
  }

  Status Delete(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckName(key));
    const std::string context = "cannot delete " + c_->GsUrl(key);
    HttpRequest req = c_->Request("DELETE", c_->ObjectUrl(key));
    auto r = c_->Send(req);
    if (!r.ok()) return r.status().WithContext(context);
    if (IsOk(r->status) || r->status == 404) return Status::Ok();
    return HttpFailure(context, req, *r);
  }

 private:
  // Appends one page's objects to `out`; returns its nextPageToken ("" on the last page).
  static Result<std::string> ParsePage(const std::string& body, std::string_view prefix,
                                       const std::string& context, std::vector<ObjectInfo>& out) {
    const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return Internal(context + ": the listing is not a JSON object");
    if (const auto items = j.find("items"); items != j.end()) {
      if (!items->is_array()) return Internal(context + ": the listing's items are not a list");
      for (const nlohmann::json& item : *items) {
        const auto name = item.is_object() ? item.find("name") : item.end();
        if (!item.is_object() || name == item.end() || !name->is_string())
          return Internal(context + ": a listed object has no name");
        ObjectInfo info{name->get<std::string>(), 0};
        if (const auto size = item.find("size"); size != item.end()) {
          // The JSON API sends 64-bit numbers as strings.
          if (size->is_string()) {
            auto v = ParseUint(size->get_ref<const std::string&>());
            if (!v.ok()) return Internal(context + ": object " + info.key + " has a bad size");
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
    if (!next->is_string()) return Internal(context + ": the listing's nextPageToken is no string");
    return next->get<std::string>();
  }

  const std::shared_ptr<GcsClient> c_;
};

}  // namespace

std::string GcsEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

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
  if (options.http == nullptr) options.http = std::make_shared<HttpClient>();
  auto client = std::make_shared<GcsClient>(std::move(options), std::move(endpoint));
  return std::shared_ptr<ObjectStore>(std::make_shared<GcsStore>(std::move(client)));
}

}  // namespace strm
