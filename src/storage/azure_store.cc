#include "storage/azure_store.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "core/bytes.h"
#include "net/chunked_upload.h"
#include "net/curl_transport.h"
#include "net/http_status.h"
#include "net/oauth_token.h"
#include "net/ranged_reader.h"
#include "net/token_cache.h"
#include "net/xml_reader.h"

namespace strm {
namespace {

constexpr int kMaxBlocks = 50'000;                    // Azure's limit per block blob
constexpr size_t kMaxBlockSize = size_t{4000} << 20;  // Put Block's limit
constexpr size_t kMinBlockSize = 1 << 10;

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
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

// ---- Requests -------------------------------------------------------------------------------

// A token of the client-credentials flow.
Result<BearerToken> FetchToken(HttpTransport& http, const RetryPolicy& retry,
                               const AzureCredentials& credentials, const std::string& token_url) {
  OAuthTokenRequest t;
  t.url = token_url;
  t.form = "grant_type=client_credentials&client_id=" + PercentEncode(credentials.client_id) +
           "&client_secret=" + PercentEncode(credentials.client_secret) +
           "&scope=" + PercentEncode(kAzureStorageScope);
  t.who = "the token request to " + RedactUrl(token_url) + " for client " + credentials.client_id;
  t.secret = credentials.client_secret;
  return FetchOAuthToken(http, retry, t);
}

// What the store and its streams share; streams keep it alive after the store is gone.
class AzureClient {
 public:
  AzureClient(AzureStoreOptions o, AzureAccountUri account, std::string token_url)
      : http_(o.http ? o.http : std::make_shared<CurlTransport>()),
        account_(std::move(account)),
        container_(std::move(o.container)),
        container_url_(AzureContainerUrl(account_, container_)),
        retry_(o.retry),
        block_size_(o.block_size),
        read_chunk_size_(o.read_chunk_size),
        list_page_size_(o.list_page_size),
        max_sync_copy_size_(o.max_sync_copy_size),
        tokens_([http = http_, retry = o.retry, credentials = std::move(o.credentials),
                 url = std::move(token_url)] { return FetchToken(*http, retry, credentials, url); },
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
  uint64_t max_sync_copy_size() const { return max_sync_copy_size_; }
  const RetryPolicy& retry() const { return retry_; }

  // "Azure PUT azure://acct/c/key (Put Block)": how messages name a request.
  std::string What(std::string_view method, std::string_view key, std::string_view op) const {
    return RequestName("Azure", method, Uri(key), op);
  }

  // One try: the bearer token (SendWithToken), the API version and the date. A copy also
  // hands its token on for reading the source (`source_auth`).
  Result<HttpResponse> SendOnce(HttpRequest req, const HttpBodySink* sink, Status& token_error,
                                bool source_auth = false) {
    req.headers.push_back({"x-ms-version", std::string(kAzureApiVersion)});
    req.headers.push_back({"x-ms-date", HttpDate(std::chrono::system_clock::now())});
    return SendWithToken(*http_, tokens_, std::move(req), sink, token_error,
                         source_auth ? "x-ms-copy-source-authorization" : "");
  }

  // Sends a request with retries. Any HTTP status is a value for the caller; errors are
  // transport failures that outlasted the retries and token failures, named by `what`.
  Result<HttpResponse> Send(const HttpRequest& req, const std::string& what,
                            bool source_auth = false) {
    return WithTokenRetries(retry_, what, [&](Status& token_error) {
      return SendOnce(req, nullptr, token_error, source_auth);
    });
  }

 private:
  std::shared_ptr<HttpTransport> http_;
  AzureAccountUri account_;
  std::string container_, container_url_;
  RetryPolicy retry_;
  size_t block_size_, read_chunk_size_;
  int list_page_size_;
  uint64_t max_sync_copy_size_;
  TokenCache tokens_;
};

// ---- Streams --------------------------------------------------------------------------------

// Ranged Get Blob, pinned to the ETag of the first answer (If-Match).
class AzureRanges final : public RangeSource {
 public:
  AzureRanges(std::shared_ptr<AzureClient> client, std::string key)
      : client_(std::move(client)), url_(client_->BlobUrl(key)) {}

  Result<HttpResponse> GetRange(uint64_t first, uint64_t last, const std::string& version,
                                const HttpBodySink& sink, Status& token_error) override {
    HttpRequest req;
    req.url = url_;
    req.headers = {{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}};
    if (!version.empty()) req.headers.push_back({"If-Match", version});
    return client_->SendOnce(std::move(req), &sink, token_error);
  }

  std::string VersionOf(const HttpResponse& r) const override {
    const std::string* etag = r.FindHeader("etag");
    return etag != nullptr ? *etag : std::string();
  }

 private:
  const std::shared_ptr<AzureClient> client_;
  const std::string url_;
};

// Put Blob, or Put Block requests made visible by Put Block List (see the header).
class AzureUpload final : public UploadProtocol {
 public:
  AzureUpload(std::shared_ptr<AzureClient> client, std::string key)
      : client_(std::move(client)), key_(std::move(key)), url_(client_->BlobUrl(key_)) {
    // Random per write, so that another writer of the same blob never reuses our ids.
    uint8_t random[8];
    SecureRandom(random);
    write_id_ = HexEncode(random);
  }

  Status PutWhole(std::string_view data) override {
    HttpRequest req;
    req.method = "PUT";
    req.url = url_;
    req.headers = {{"x-ms-blob-type", "BlockBlob"}};
    req.body = data;
    return Put(req, "Put Blob");
  }

  Status Start() override { return Status::Ok(); }

  Status SendPart(int number, uint64_t, std::string_view data, bool) override {
    blocks_ = number;
    HttpRequest req;
    req.method = "PUT";
    req.url = url_ + "?comp=block&blockid=" + PercentEncode(BlockId(number));
    req.body = data;
    return Put(req, "Put Block");
  }

  Status Finish(uint64_t) override {
    // <Latest>, not <Uncommitted>: a retry after a lost answer finds the blocks committed.
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (int n = 1; n <= blocks_; ++n) xml += "<Latest>" + BlockId(n) + "</Latest>";
    xml += "</BlockList>";
    HttpRequest req;
    req.method = "PUT";
    req.url = url_ + "?comp=blocklist";
    req.headers = {{"Content-Type", "application/xml"}};
    req.body = xml;
    return Put(req, "Put Block List");
  }

  // The blocks sent so far are never committed; Azure garbage-collects them.
  void Abort() override {}

  // Put Block From URL: bytes [first, last] of the blob at `source` (read with the store's
  // token, pinned to `etag`) become block `number`.
  Status CopyBlock(int number, const std::string& source, const std::string& etag, uint64_t first,
                   uint64_t last) {
    blocks_ = number;
    HttpRequest req;
    req.method = "PUT";
    req.url = url_ + "?comp=block&blockid=" + PercentEncode(BlockId(number));
    req.headers = {
        {"x-ms-copy-source", source},
        {"x-ms-source-range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}};
    if (!etag.empty()) req.headers.push_back({"x-ms-source-if-match", etag});
    return Put(req, "Put Block From URL", /*source_auth=*/true);
  }

 private:
  // 24 bytes of "<16 hex>-<7 digits>" in base64: ids of equal length, without padding.
  std::string BlockId(int number) const {
    char raw[32];
    std::snprintf(raw, sizeof raw, "%s-%07d", write_id_.c_str(), number - 1);
    return Base64Encode(AsBytes(raw));
  }

  Status Put(const HttpRequest& req, std::string_view op, bool source_auth = false) {
    const std::string what = client_->What("PUT", key_, op);
    STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what, source_auth));
    return IsHttpSuccess(r.status) ? Status::Ok() : HttpFailure(what, r);
  }

  const std::shared_ptr<AzureClient> client_;
  const std::string key_, url_;
  std::string write_id_;
  int blocks_ = 0;  // parts sent, or being sent
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
      req.url =
          client_->container_url() + "?restype=container&comp=list&prefix=" + PercentEncode(prefix);
      if (!marker.empty()) req.url += "&marker=" + PercentEncode(marker);
      if (client_->list_page_size() > 0)
        req.url += "&maxresults=" + std::to_string(client_->list_page_size());
      STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
      if (!IsHttpSuccess(r.status)) return HttpFailure(what, r);
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
    RangedReaderOptions o;
    o.what = client_->What("GET", key, "");
    o.retry = client_->retry();
    o.chunk_size = client_->read_chunk_size();
    return OpenRangedReader(std::make_shared<AzureRanges>(client_, std::string(key)), std::move(o));
  }

  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions&) override {
    STRM_RETURN_IF_ERROR(CheckKey(key));
    return std::unique_ptr<OutputStream>(
        new ChunkedUpload(std::make_unique<AzureUpload>(client_, std::string(key)),
                          client_->block_size(), kMaxBlocks, client_->What("PUT", key, "")));
  }

  // Get Blob Properties of the source (NotFound; its size and ETag), then Copy Blob From URL
  // (synchronous: the copy is whole when it answers) for a source of at most
  // max_sync_copy_size, or Put Block From URL block by block and Put Block List for a larger
  // one. The source is read with the store's token (x-ms-copy-source-authorization) and
  // pinned to its ETag (x-ms-source-if-match); the destination is replaced atomically.
  Status Copy(std::string_view from, std::string_view to) override {
    STRM_RETURN_IF_ERROR(CheckKey(from));
    STRM_RETURN_IF_ERROR(CheckKey(to));
    HttpRequest head;
    head.method = "HEAD";
    head.url = client_->BlobUrl(from);
    const std::string head_what = client_->What("HEAD", from, "");
    STRM_ASSIGN_OR_RETURN(HttpResponse h, client_->Send(head, head_what));
    if (!IsHttpSuccess(h.status)) return HttpFailure(head_what, h);
    const std::string* length = h.FindHeader("content-length");
    uint64_t size = 0;
    if (length == nullptr ||
        std::from_chars(length->data(), length->data() + length->size(), size).ec != std::errc())
      return Internal(head_what + ": the answer has no valid Content-Length");
    const std::string* etag_header = h.FindHeader("etag");
    const std::string etag = etag_header != nullptr ? *etag_header : std::string();
    if (from == to) return Status::Ok();
    const std::string source = client_->BlobUrl(from);
    if (size <= client_->max_sync_copy_size()) {
      HttpRequest req;
      req.method = "PUT";
      req.url = client_->BlobUrl(to);
      req.headers = {{"x-ms-copy-source", source}, {"x-ms-requires-sync", "true"}};
      if (!etag.empty()) req.headers.push_back({"x-ms-source-if-match", etag});
      const std::string what = client_->What("PUT", to, "Copy Blob From URL " + client_->Uri(from));
      STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what, /*source_auth=*/true));
      if (!IsHttpSuccess(r.status)) return HttpFailure(what, r);
      const std::string* copy_status = r.FindHeader("x-ms-copy-status");
      if (copy_status != nullptr && *copy_status != "success")
        return Internal(what + ": the copy's status is '" + ForMessage(*copy_status, 32) +
                        "', not success");
      return Status::Ok();
    }
    // At most kMaxBlocks blocks: larger ones for a source too large for that.
    const uint64_t block =
        std::max<uint64_t>(client_->block_size(), (size + kMaxBlocks - 1) / kMaxBlocks);
    AzureUpload upload(client_, std::string(to));
    int n = 1;
    for (uint64_t first = 0; first < size; first += block, ++n)
      STRM_RETURN_IF_ERROR(
          upload.CopyBlock(n, source, etag, first, std::min<uint64_t>(first + block, size) - 1));
    return upload.Finish(size);
  }

  Status Delete(std::string_view key) override {
    STRM_RETURN_IF_ERROR(CheckKey(key));
    const std::string what = client_->What("DELETE", key, "");
    HttpRequest req;
    req.method = "DELETE";
    req.url = client_->BlobUrl(key);
    req.headers = {{"x-ms-delete-snapshots", "include"}};
    STRM_ASSIGN_OR_RETURN(HttpResponse r, client_->Send(req, what));
    if (IsHttpSuccess(r.status) || (r.status == 404 && ParseServiceError(r).code == "BlobNotFound"))
      return Status::Ok();
    return HttpFailure(what, r);
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
  return PercentEncode(s, keep_slash);
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
          // Encoded="true": names with characters that XML 1.0 cannot carry.
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
  if (options.max_sync_copy_size > kAzureMaxSyncCopySize)
    return InvalidArgument("Azure's synchronous copies are limited to 256 MiB");
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
