#include "storage/azure_store.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "storage/xml_reader.h"

namespace strm {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxBlocks = 50'000;                 // Azure's limit per block blob
constexpr size_t kMaxBlockSize = size_t{4000} << 20;  // Put Block's limit
constexpr size_t kMinBlockSize = 1 << 10;
constexpr size_t kMaxErrorTextSize = 500;               // of an OAuth error_description
constexpr std::chrono::seconds kMaxRefreshMargin{300};  // as Azure's SDKs: 5 minutes early

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding of names that List Blobs sends with Encoded="true" (they hold characters
// that XML 1.0 cannot carry). A '%' without two hex digits is kept as it is.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// ---- Errors ---------------------------------------------------------------------------------

// Azure's error code: the x-ms-error-code header (also on HEAD), else the XML <Code>.
std::string AzureErrorCode(const HttpResponse& r) {
  if (const std::string* h = r.FindHeader("x-ms-error-code"); h != nullptr && !h->empty())
    return h->substr(0, 64);
  return XmlElementText(r.body, "Code").substr(0, 64);
}

StatusCode CodeForHttpStatus(int status) {
  if (status == 404) return StatusCode::kNotFound;
  if (status == 401 || status == 403) return StatusCode::kPermissionDenied;
  if (status == 409 || status == 412) return StatusCode::kFailedPrecondition;
  if (status == 400 || status == 416) return StatusCode::kInvalidArgument;
  if (status == 408 || status == 429 || status >= 500) return StatusCode::kUnavailable;
  return StatusCode::kInternal;
}

// "HTTP 403 AuthenticationFailed (Lifetime validation failed. The token is expired.)"
std::string DescribeFailure(const HttpResponse& r) {
  std::string msg = "HTTP " + std::to_string(r.status);
  const std::string code = AzureErrorCode(r);
  if (!code.empty()) msg += " " + code;
  // Azure explains failed authentication here; it never holds the token.
  std::string detail = XmlElementText(r.body, "AuthenticationErrorDetail");
  if (!detail.empty()) msg += " (" + detail.substr(0, kMaxErrorTextSize) + ")";
  return msg;
}

Status HttpError(std::string_view what, const HttpResponse& r) {
  return {CodeForHttpStatus(r.status), std::string(what) + ": " + DescribeFailure(r)};
}

// The message of a transport failure, with HttpClient's "<METHOD> <url> failed: " prefix
// replaced by `what`, so WithRetries recognises and trims it.
Status RenameTransportError(const Status& s, const HttpRequest& req, std::string_view what) {
  std::string msg = s.message();
  const std::string prefix = DescribeRequest(req) + " failed: ";
  if (msg.compare(0, prefix.size(), prefix) == 0) msg.erase(0, prefix.size());
  return {s.code(), std::string(what) + " failed: " + msg};
}

// RFC 1123 date in GMT, as x-ms-date wants it; not strftime, whose names follow the locale.
std::string HttpDate(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// ---- Tokens ---------------------------------------------------------------------------------

// The client-credentials flow with one cached token. Thread-safe: the mutex is held while a
// token is fetched, so concurrent callers wait for that one request instead of sending more.
class TokenSource {
 public:
  TokenSource(std::shared_ptr<HttpClient> http, AzureCredentials credentials, std::string token_url,
              RetryPolicy retry, std::function<Clock::time_point()> clock)
      : http_(std::move(http)),
        credentials_(std::move(credentials)),
        token_url_(std::move(token_url)),
        retry_(std::move(retry)),
        clock_(std::move(clock)) {}

  Result<std::string> Token() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!token_.empty() && Now() < refresh_at_) return token_;
    token_.clear();
    const Clock::time_point asked = Now();  // the lifetime counts from the request
    STRM_ASSIGN_OR_RETURN(auto fetched, Fetch());
    const auto& [token, lifetime] = fetched;
    token_ = token;
    refresh_at_ = asked + lifetime - std::min(kMaxRefreshMargin, lifetime / 2);
    return token_;
  }

  // Forgets `token` if it is the cached one (the service refused it).
  void Invalidate(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    if (token_ == token) token_.clear();
  }

 private:
  Clock::time_point Now() const { return clock_ ? clock_() : Clock::now(); }

  std::string What() const {
    return "Azure token request to " + RedactUrl(token_url_) + " for client " +
           credentials_.client_id;
  }

  // The text of an endpoint's answer, made safe for a message: no secret, one line, short.
  std::string Clean(std::string text) const {
    const std::string& secret = credentials_.client_secret;
    for (size_t at = 0; !secret.empty() && (at = text.find(secret, at)) != std::string::npos;
         at += kRedactedSecret.size())
      text.replace(at, secret.size(), kRedactedSecret);
    for (char& c : text)
      if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    if (text.size() > kMaxErrorTextSize) text = text.substr(0, kMaxErrorTextSize) + "...";
    return text;
  }

  Result<std::pair<std::string, std::chrono::seconds>> Fetch() {
    const std::string body = "grant_type=client_credentials&client_id=" +
                             AzurePercentEncode(credentials_.client_id, false) + "&client_secret=" +
                             AzurePercentEncode(credentials_.client_secret, false) +
                             "&scope=" + AzurePercentEncode(kAzureStorageScope, false);
    HttpRequest req;
    req.method = "POST";
    req.url = token_url_;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    req.body = body;
    const std::string what = What();
    STRM_ASSIGN_OR_RETURN(HttpResponse r, WithRetries(retry_, what, [&]() -> Result<HttpResponse> {
                            auto sent = http_->Send(req);
                            if (!sent.ok()) return RenameTransportError(sent.status(), req, what);
                            return sent;
                          }));
    nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (r.status < 200 || r.status >= 300) {
      std::string msg = what + ": HTTP " + std::to_string(r.status);
      if (doc.is_object()) {
        if (auto e = doc.find("error"); e != doc.end() && e->is_string())
          msg += " " + Clean(e->get<std::string>());
        if (auto d = doc.find("error_description"); d != doc.end() && d->is_string())
          msg += ": " + Clean(d->get<std::string>());
      }
      StatusCode code = r.status == 400 || r.status == 401 || r.status == 403
                            ? StatusCode::kPermissionDenied
                        : r.status == 404 ? StatusCode::kInvalidArgument
                                          : CodeForHttpStatus(r.status);
      return Status(code, msg);
    }
    if (!doc.is_object()) return Internal(what + ": the answer is not a JSON object");
    auto token = doc.find("access_token");
    if (token == doc.end() || !token->is_string() || token->get<std::string>().empty())
      return Internal(what + ": the answer has no access_token");
    if (auto type = doc.find("token_type"); type != doc.end()) {
      if (!type->is_string() || !StartsWithNoCase(type->get<std::string>(), "bearer") ||
          type->get<std::string>().size() != 6)
        return Internal(what + ": the token_type is not Bearer");
    }
    // v2.0 endpoints send a number, v1.0 ones (and some proxies) a string.
    int64_t seconds = -1;
    if (auto e = doc.find("expires_in"); e != doc.end()) {
      if (e->is_number_integer()) {
        seconds = e->get<int64_t>();
      } else if (e->is_string()) {
        const std::string s = e->get<std::string>();
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
        if (ec != std::errc() || p != s.data() + s.size()) seconds = -1;
      }
    }
    if (seconds < 0) return Internal(what + ": the answer has no valid expires_in");
    return std::pair{token->get<std::string>(), std::chrono::seconds(seconds)};
  }

  std::shared_ptr<HttpClient> http_;
  AzureCredentials credentials_;
  std::string token_url_;
  RetryPolicy retry_;
  std::function<Clock::time_point()> clock_;
  std::mutex mu_;
  std::string token_;
  Clock::time_point refresh_at_;
};

// ---- Requests -------------------------------------------------------------------------------

// What the store and its streams share; streams keep it alive after the store is gone.
class AzureClient {
 public:
  AzureClient(AzureStoreOptions o, AzureAccountUri account, std::string token_url)
      : http_(o.http ? o.http : std::make_shared<HttpClient>()),
        account_(std::move(account)),
        container_(std::move(o.container)),
        container_url_(AzureContainerUrl(account_, container_)),
        retry_(o.retry),
        block_size_(o.block_size),
        read_chunk_size_(o.read_chunk_size),
        list_page_size_(o.list_page_size),
        tokens_(http_, std::move(o.credentials), std::move(token_url), o.retry,
                std::move(o.clock)) {}

  std::string Uri(std::string_view key = {}) const {
    std::string out = "azure://" + account_.account + "/" + container_;
    if (!key.empty()) out += "/" + std::string(key);
    return out;
  }
  std::string BlobUrl(std::string_view key) const {
    return AzureBlobUrl(account_, container_, key);
  }
  const std::string& container_url() const { return container_url_; }
  size_t block_size() const { return block_size_; }
  size_t read_chunk_size() const { return read_chunk_size_; }
  int list_page_size() const { return list_page_size_; }

  // "Azure PUT azure://acct/c/key (Put Block)": how messages name an operation.
  std::string What(std::string_view method, std::string_view key, std::string_view op) const {
    std::string out = "Azure " + std::string(method) + " " + Uri(key);
    if (!op.empty()) out += " (" + std::string(op) + ")";
    return out;
  }

  // Sends a signed request with retries. Any HTTP status is a value for the caller; errors are
  // transport failures that outlasted the retries and token failures, named by `what`.
  Result<HttpResponse> Send(HttpRequest req, const std::string& what) {
    Status token_error;
    const size_t base_headers = req.headers.size();
    auto attempt = [&]() -> Result<HttpResponse> {
      // One more try with a fresh token when the service says the cached one is no good.
      for (int auth_try = 0;; ++auth_try) {
        auto token = tokens_.Token();
        if (!token.ok()) {
          token_error = token.status();
          return Internal("token");  // not retryable: TokenSource has retried already
        }
        req.headers.resize(base_headers);
        req.headers.push_back({"Authorization", "Bearer " + *token});
        req.headers.push_back({"x-ms-version", std::string(kAzureApiVersion)});
        req.headers.push_back({"x-ms-date", HttpDate(std::chrono::system_clock::now())});
        auto r = http_->Send(req);
        if (!r.ok()) return RenameTransportError(r.status(), req, what);
        if (r->status == 401 && auth_try == 0) {
          tokens_.Invalidate(*token);
          continue;
        }
        return r;
      }
    };
    auto r = WithRetries(retry_, what, attempt);
    if (!token_error.ok()) return token_error.WithContext(what);
    return r;
  }

 private:
  std::shared_ptr<HttpClient> http_;
  AzureAccountUri account_;
  std::string container_, container_url_;
  RetryPolicy retry_;
  size_t block_size_, read_chunk_size_;
  int list_page_size_;
  TokenSource tokens_;
};

bool Is2xx(const HttpResponse& r) { return r.status >= 200 && r.status < 300; }

Status CheckKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("an Azure blob name must not be empty");
  if (key.size() > 1024)
    return InvalidArgument("Azure blob name '" + std::string(key.substr(0, 64)) +
                           "...' is longer than 1024 characters");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = std::min(key.find('/', start), key.size());
    std::string_view seg = key.substr(start, end - start);
    if (seg == "." || seg == "..")
      return InvalidArgument("Azure blob name '" + std::string(key) + "' contains '" +
                             std::string(seg) + "'");
    start = end + 1;
  }
  return Status::Ok();
}

// The total of "Content-Range: bytes 0-99/1234", or -1.
int64_t ContentRangeTotal(const HttpResponse& r) {
  const std::string* h = r.FindHeader("content-range");
  if (h == nullptr) return -1;
  size_t slash = h->rfind('/');
  if (slash == std::string::npos) return -1;
  int64_t total = -1;
  auto [p, ec] = std::from_chars(h->data() + slash + 1, h->data() + h->size(), total);
  if (ec != std::errc() || p != h->data() + h->size()) return -1;
  return total;
}

// ---- Streams --------------------------------------------------------------------------------

// Ranged GETs of one chunk at a time, pinned to the ETag of the first.
class BlobReader final : public InputStream {
 public:
  BlobReader(std::shared_ptr<AzureClient> client, std::string key)
      : client_(std::move(client)), key_(std::move(key)), url_(client_->BlobUrl(key_)) {}

  // The first chunk: it tells whether the blob exists, its size and its ETag.
  Status Open() {
    const std::string what = client_->What("GET", key_, "");
    HttpRequest req;
    req.url = url_;
    req.headers = {{"Range", "bytes=0-" + std::to_string(client_->read_chunk_size() - 1)}};
    STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
    // Azure refuses any range of an empty blob: 416 InvalidRange, "Content-Range: bytes */0".
    if (r.status == 416 && (ContentRangeTotal(r) == 0 || AzureErrorCode(r) == "InvalidRange")) {
      size_ = 0;
      return Status::Ok();
    }
    if (!Is2xx(r)) return HttpError(what, r);
    if (const std::string* etag = r.FindHeader("etag")) etag_ = *etag;
    if (r.status == 206) {
      int64_t total = ContentRangeTotal(r);
      if (total < 0) return Internal(what + ": a partial answer without Content-Range");
      size_ = static_cast<uint64_t>(total);
    } else {
      size_ = r.body.size();  // the whole blob: the range was ignored
    }
    buf_ = std::move(r.body);
    offset_ = buf_.size();
    return Status::Ok();
  }

  Result<size_t> Read(char* out, size_t n) override {
    if (pos_ == buf_.size()) {
      if (offset_ >= size_ || n == 0) return size_t{0};
      STRM_RETURN_IF_ERROR(Refill());
    }
    size_t k = std::min(n, buf_.size() - pos_);
    std::memcpy(out, buf_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  Status Refill() {
    const std::string what = client_->What("GET", key_, "");
    const uint64_t last = std::min<uint64_t>(offset_ + client_->read_chunk_size(), size_) - 1;
    HttpRequest req;
    req.url = url_;
    req.headers = {{"Range", "bytes=" + std::to_string(offset_) + "-" + std::to_string(last)}};
    if (!etag_.empty()) req.headers.push_back({"If-Match", etag_});
    buf_.clear();
    pos_ = 0;
    STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
    if (r.status == 412 || r.status == 404)
      return FailedPrecondition(what + ": the blob was replaced or deleted while being read (" +
                                DescribeFailure(r) + ")");
    if (!Is2xx(r)) return HttpError(what, r);
    if (r.status != 206 || r.body.size() != last - offset_ + 1)
      return Unavailable(what + ": asked for bytes " + std::to_string(offset_) + "-" +
                         std::to_string(last) + ", got " + std::to_string(r.body.size()));
    buf_ = std::move(r.body);
    offset_ += buf_.size();
    return Status::Ok();
  }

  std::shared_ptr<AzureClient> client_;
  std::string key_, url_, etag_;
  uint64_t size_ = 0, offset_ = 0;  // offset_: the blob's position after buf_
  std::string buf_;
  size_t pos_ = 0;
};

class BlobWriter final : public OutputStream {
 public:
  BlobWriter(std::shared_ptr<AzureClient> client, std::string key)
      : client_(std::move(client)), key_(std::move(key)), url_(client_->BlobUrl(key_)) {
    // Random per write, so that another writer of the same blob never reuses our ids.
    uint8_t random[8];
    SecureRandom(random);
    write_id_ = HexEncode(random);
  }
  ~BlobWriter() override { Abort(); }

  Status Write(std::string_view data) override {
    if (state_ != State::kOpen) return FailedPrecondition(Closed("write to"));
    const size_t block = client_->block_size();
    while (!data.empty()) {
      // A full block goes out only once more data follows, so an object of exactly one
      // block is still a single Put Blob.
      if (buf_.size() == block) {
        Status s = PutBlock();
        if (!s.ok()) {
          Fail();
          return s;
        }
      }
      size_t take = std::min(data.size(), block - buf_.size());
      if (buf_.capacity() < buf_.size() + take)  // grow, but never past one block
        buf_.reserve(std::min(block, std::max(buf_.size() + take, 2 * buf_.capacity())));
      buf_.append(data.substr(0, take));
      data.remove_prefix(take);
    }
    return Status::Ok();
  }

  Status Commit() override {
    if (state_ != State::kOpen) return FailedPrecondition(Closed("commit of"));
    Status s = block_ids_.empty() ? PutBlob() : PutBlockList();
    if (!s.ok()) {
      Fail();
      return s;
    }
    state_ = State::kCommitted;
    Release();
    return Status::Ok();
  }

  // The blocks sent so far are never committed; Azure garbage-collects them.
  void Abort() override {
    if (state_ == State::kOpen) state_ = State::kAborted;
    Release();
  }

 private:
  enum class State { kOpen, kCommitted, kAborted, kFailed };

  std::string Closed(std::string_view verb) const {
    static constexpr const char* kStates[] = {"open", "committed", "aborted", "failed"};
    return std::string(verb) + " " + client_->Uri(key_) + ", which is already " +
           kStates[static_cast<int>(state_)];
  }
  void Fail() {
    state_ = State::kFailed;
    Release();
  }
  void Release() {
    std::string().swap(buf_);
    std::vector<std::string>().swap(block_ids_);
  }

  Status PutBlock() {
    if (block_ids_.size() >= kMaxBlocks)
      return InvalidArgument(client_->Uri(key_) + " would need more than 50000 blocks of " +
                             std::to_string(client_->block_size()) + " bytes");
    // 24 bytes of "<16 hex>-<7 digits>": ids of equal length, base64 without padding.
    char raw[32];
    std::snprintf(raw, sizeof raw, "%s-%07zu", write_id_.c_str(), block_ids_.size());
    std::string id = Base64Encode(AsBytes(raw));
    const std::string what = client_->What("PUT", key_, "Put Block");
    HttpRequest req;
    req.method = "PUT";
    req.url = url_ + "?comp=block&blockid=" + AzurePercentEncode(id, false);
    req.body = buf_;
    STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
    if (!Is2xx(r)) return HttpError(what, r);
    block_ids_.push_back(std::move(id));
    buf_.clear();
    return Status::Ok();
  }

  Status PutBlob() {
    const std::string what = client_->What("PUT", key_, "Put Blob");
    HttpRequest req;
    req.method = "PUT";
    req.url = url_;
    req.headers = {{"x-ms-blob-type", "BlockBlob"}};
    req.body = buf_;
    STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
    return Is2xx(r) ? Status::Ok() : HttpError(what, r);
  }

  Status PutBlockList() {
    if (!buf_.empty()) STRM_RETURN_IF_ERROR(PutBlock());
    // <Latest>, not <Uncommitted>: a retry after a lost answer finds the blocks committed.
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const std::string& id : block_ids_) xml += "<Latest>" + id + "</Latest>";
    xml += "</BlockList>";
    const std::string what = client_->What("PUT", key_, "Put Block List");
    HttpRequest req;
    req.method = "PUT";
    req.url = url_ + "?comp=blocklist";
    req.headers = {{"Content-Type", "application/xml"}};
    req.body = xml;
    STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
    return Is2xx(r) ? Status::Ok() : HttpError(what, r);
  }

  std::shared_ptr<AzureClient> client_;
  std::string key_, url_, write_id_;
  std::string buf_;  // at most one block
  std::vector<std::string> block_ids_;
  State state_ = State::kOpen;
};

// ---- The store ------------------------------------------------------------------------------

class AzureStore final : public ObjectStore {
 public:
  explicit AzureStore(std::shared_ptr<AzureClient> client) : client_(std::move(client)) {}

  std::string Describe() const override { return client_->Uri(); }

  std::string ObjectUri(std::string_view key) const override { return client_->BlobUrl(key); }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    const std::string what =
        client_->What("GET", "", "List Blobs prefix '" + std::string(prefix) + "'");
    std::vector<ObjectInfo> out;
    std::string marker;
    for (;;) {
      HttpRequest req;
      req.url = client_->container_url() +
                "?restype=container&comp=list&prefix=" + AzurePercentEncode(prefix, false);
      if (!marker.empty()) req.url += "&marker=" + AzurePercentEncode(marker, false);
      if (client_->list_page_size() > 0)
        req.url += "&maxresults=" + std::to_string(client_->list_page_size());
      STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
      if (!Is2xx(r)) return HttpError(what, r);
      auto page = ParseAzureBlobList(r.body);
      if (!page.ok()) return page.status().WithContext(what);
      for (ObjectInfo& o : page->blobs)  // the service filters; a proxy might not
        if (!IsTemporaryKey(o.key) && o.key.compare(0, prefix.size(), prefix) == 0)
          out.push_back(std::move(o));
      if (page->next_marker.empty()) break;
      if (page->next_marker == marker)
        return Internal(what + ": the service returned the same NextMarker twice");
      marker = std::move(page->next_marker);
    }
    SortByKey(out);
    return out;
  }

  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckKey(key));
    auto reader = std::make_unique<BlobReader>(client_, std::string(key));
    STRM_RETURN_IF_ERROR(reader->Open());
    return std::unique_ptr<InputStream>(std::move(reader));
  }

  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions&) override {
    STRM_RETURN_IF_ERROR(CheckKey(key));
    return std::unique_ptr<OutputStream>(new BlobWriter(client_, std::string(key)));
  }

  Status Copy(std::string_view from, std::string_view to) override {
    return CopyThroughStreams(*this, from, to);
  }

  Status Delete(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckKey(key));
    const std::string what = client_->What("DELETE", key, "");
    HttpRequest req;
    req.method = "DELETE";
    req.url = client_->BlobUrl(key);
    req.headers = {{"x-ms-delete-snapshots", "include"}};
    STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
    if (Is2xx(r) || (r.status == 404 && AzureErrorCode(r) == "BlobNotFound")) return Status::Ok();
    return HttpError(what, r);
  }

 private:
  std::shared_ptr<AzureClient> client_;
};

// Azure's rules for container names, and the three reserved names.
Status CheckContainer(std::string_view c) {
  if (c == "$root" || c == "$web" || c == "$logs") return Status::Ok();
  bool ok = c.size() >= 3 && c.size() <= 63 && c.front() != '-' && c.back() != '-' &&
            c.find("--") == std::string_view::npos;
  for (char ch : c) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-');
  if (!ok)
    return InvalidArgument("Azure container name '" + std::string(c) +
                           "' is not valid: 3 to 63 lowercase letters, digits and single "
                           "hyphens, starting and ending with a letter or digit");
  return Status::Ok();
}

}  // namespace

// ---- Protocol pieces ------------------------------------------------------------------------

std::string AzurePercentEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<AzureAccountUri> ParseAzureAccountUri(std::string_view uri) {
  const std::string quoted = "storage account URI '" + std::string(uri) + "'";
  size_t scheme_end = uri.find("://");
  std::string scheme(uri.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "https" && scheme != "http")
    return InvalidArgument(quoted + " must start with https://");
  if (uri.find_first_of("?#") != std::string_view::npos)
    return InvalidArgument(quoted + " must not have a query or fragment");
  std::string_view rest = uri.substr(scheme_end + 3);
  size_t slash = std::min(rest.find('/'), rest.size());
  std::string_view host = rest.substr(0, slash);
  if (host.find('@') != std::string_view::npos)
    return InvalidArgument("a storage account URI must not carry user info");
  if (host.empty() || host.front() == ':') return InvalidArgument(quoted + " has no host");
  std::string_view path = rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  AzureAccountUri out;
  out.base = scheme + "://" + std::string(host) + std::string(path);
  if (!path.empty()) {
    std::string_view first = path.substr(1);
    out.account = std::string(first.substr(0, std::min(first.find('/'), first.size())));
  } else {
    out.account = std::string(host.substr(0, std::min(host.find_first_of(".:"), host.size())));
  }
  return out;
}

std::string AzureContainerUrl(const AzureAccountUri& account, std::string_view container) {
  return account.base + "/" + AzurePercentEncode(container, false);
}

std::string AzureBlobUrl(const AzureAccountUri& account, std::string_view container,
                         std::string_view blob) {
  return AzureContainerUrl(account, container) + "/" + AzurePercentEncode(blob, true);
}

std::string AzureAuthorityHost(std::string_view configured) {
  std::string host(configured);
  if (host.empty()) {
    const char* env = std::getenv("AZURE_AUTHORITY_HOST");
    host = env != nullptr && *env != '\0' ? env : std::string(kAzureDefaultAuthorityHost);
  }
  while (!host.empty() && host.back() == '/') host.pop_back();
  return host;
}

std::string AzureTokenUrl(std::string_view authority_host, std::string_view tenant_id) {
  std::string host(authority_host);
  while (!host.empty() && host.back() == '/') host.pop_back();
  return host + "/" + AzurePercentEncode(tenant_id, false) + "/oauth2/v2.0/token";
}

Result<AzureBlobListPage> ParseAzureBlobList(std::string_view xml) {
  STRM_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  if (root.name != "EnumerationResults")
    return InvalidArgument("the answer is <" + root.name + ">, not <EnumerationResults>");
  AzureBlobListPage page;
  for (XmlElement& section : root.children) {
    if (section.name == "NextMarker") {
      page.next_marker = std::move(section.text);
      continue;
    }
    if (section.name != "Blobs") continue;
    for (XmlElement& b : section.children) {
      if (b.name != "Blob") continue;
      ObjectInfo blob;
      bool has_name = false;
      for (XmlElement& field : b.children) {
        if (field.name == "Name") {
          blob.key = field.Attribute("Encoded") == "true" ? PercentDecode(field.text)
                                                          : std::move(field.text);
          has_name = true;
        } else if (field.name == "Properties") {
          for (const XmlElement& p : field.children) {
            if (p.name != "Content-Length") continue;
            const std::string& t = p.text;
            auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), blob.size);
            if (ec != std::errc() || end != t.data() + t.size() || t.empty())
              return InvalidArgument("a blob's Content-Length '" + t.substr(0, 32) +
                                     "' is no number");
          }
        }
      }
      if (!has_name) return InvalidArgument("a <Blob> without a <Name>");
      page.blobs.push_back(std::move(blob));
    }
  }
  return page;
}

Result<std::shared_ptr<ObjectStore>> OpenAzureStore(AzureStoreOptions options) {
  STRM_ASSIGN_OR_RETURN(AzureAccountUri account, ParseAzureAccountUri(options.storage_account_uri));
  STRM_RETURN_IF_ERROR(CheckContainer(options.container));
  const AzureCredentials& c = options.credentials;
  if (c.tenant_id.empty() || c.client_id.empty() || c.client_secret.empty())
    return InvalidArgument("Azure credentials need a tenant_id, a client_id and a client_secret");
  if (options.block_size < kMinBlockSize || options.block_size > kMaxBlockSize)
    return InvalidArgument("Azure block size " + std::to_string(options.block_size) +
                           " is outside 1 KiB to 4000 MiB");
  if (options.read_chunk_size < kMinBlockSize)
    return InvalidArgument("Azure read chunk size " + std::to_string(options.read_chunk_size) +
                           " is below 1 KiB");
  if (options.list_page_size < 0 || options.list_page_size > 5000)
    return InvalidArgument("Azure list page size must be 0 (the default) to 5000");
  const std::string authority = AzureAuthorityHost(options.authority_host);
  if (!StartsWithNoCase(authority, "https://") ||
      authority.find_first_of("?#") != std::string::npos)
    return InvalidArgument("Azure authority host '" + authority +
                           "' must be an https:// URL without query (is AZURE_AUTHORITY_HOST "
                           "set right?)");
  std::string token_url = AzureTokenUrl(authority, c.tenant_id);
  auto client =
      std::make_shared<AzureClient>(std::move(options), std::move(account), std::move(token_url));
  return std::shared_ptr<ObjectStore>(std::make_shared<AzureStore>(std::move(client)));
}

}  // namespace strm
