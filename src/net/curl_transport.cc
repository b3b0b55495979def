#include "net/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace strm {
namespace {

constexpr size_t kMaxErrorBody = 1 << 20;   // error documents are small; cut anything else
constexpr long kReceiveBuffer = 64 * 1024;  // fewer recv calls than libcurl's 16 KiB default

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool HasHeader(const HttpHeaders& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const HttpHeader& h) { return EqualsIgnoreCase(h.name, name); });
}

// curl_global_init is not safe to race with other libcurl calls; do it once, first.
CURLcode GlobalInit() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  return rc;
}

std::string ChooseCaFile(const std::string& configured) {
  return configured.empty() ? CaFileFromEnvironment() : configured;
}

// The state of one exchange, shared with libcurl's callbacks.
struct Exchange {
  const HttpRequest* request = nullptr;
  const HttpBodySink* sink = nullptr;  // null for Send
  HttpResponse response;
  int status_line = 0;  // status of the latest status line; 1xx ones are superseded
  Status callback_error;
  uint64_t body_size = 0;
  uint64_t sent = 0;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t len = size * n;
  std::string_view line = Trim(std::string_view(data, len));
  if (line.substr(0, 5) == "HTTP/") {
    // A new response starts (after "100 Continue", or a proxy's CONNECT reply).
    ex->response.headers.clear();
    ex->status_line = 0;
    size_t sp = line.find(' ');
    if (sp != std::string_view::npos)
      std::from_chars(line.data() + sp + 1, line.data() + line.size(), ex->status_line);
    return len;
  }
  if (line.empty()) return len;
  if ((data[0] == ' ' || data[0] == '\t') && !ex->response.headers.empty()) {
    // An obsolete folded continuation of the previous header.
    ex->response.headers.back().value += ' ';
    ex->response.headers.back().value += line;
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  ex->response.headers.push_back(
      {Lower(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1)))});
  return len;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t len = size * n;
  if (ex->sink != nullptr) {
    if (ex->status_line >= 200 && ex->status_line < 300) {
      Status s = (*ex->sink)(std::string_view(data, len));
      if (!s.ok()) {
        ex->callback_error = std::move(s);
        return 0;  // not `len`: libcurl aborts with CURLE_WRITE_ERROR
      }
      return len;
    }
    // An error document: keep its start, read (and drop) the rest so the connection stays.
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, ex->response.body.size());
    ex->response.body.append(data, std::min(room, len));
    return len;
  }
  ex->response.body.append(data, len);
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const HttpRequest& req = *ex->request;
  const uint64_t left = ex->body_size - ex->sent;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(left, size * n));
  if (want == 0) return 0;
  if (!req.body_source.read) {
    std::memcpy(buf, req.body.data() + ex->sent, want);
    ex->sent += want;
    return want;
  }
  Result<size_t> got = req.body_source.read(buf, want);
  if (!got.ok()) {
    ex->callback_error = got.status();
    return CURL_READFUNC_ABORT;
  }
  if (*got == 0 || *got > want) {
    ex->callback_error = InvalidArgument(DescribeRequest(req) + ": the body source " +
                                         (*got == 0 ? "ended after " : "overran its size after ") +
                                         std::to_string(ex->sent) + " of its " +
                                         std::to_string(ex->body_size) + " bytes");
    return CURL_READFUNC_ABORT;
  }
  ex->sent += *got;
  return *got;
}

// libcurl rewinds the body to resend a request on a fresh connection.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* ex = static_cast<Exchange*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > ex->body_size)
    return CURL_SEEKFUNC_CANTSEEK;
  const HttpBodySource& src = ex->request->body_source;
  if (src.read) {
    if (offset != 0 || !src.rewind) return CURL_SEEKFUNC_CANTSEEK;
    Status s = src.rewind();
    if (!s.ok()) {
      ex->callback_error = std::move(s);
      return CURL_SEEKFUNC_FAIL;
    }
  }
  ex->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// Which Status a failed curl_easy_perform becomes; see the header for the classes.
StatusCode ClassifyCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:  // also a reset during the handshake
      return StatusCode::kUnavailable;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return StatusCode::kFailedPrecondition;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return StatusCode::kInvalidArgument;
    default:
      return StatusCode::kInternal;
  }
}

// Frees a curl_slist when the exchange ends, however it ends.
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

bool Append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) return false;
  list.release();
  list.reset(next);
  return true;
}

}  // namespace

struct CurlTransport::Impl {
  CurlTransportOptions options;
  std::string ca_file;
  CURLcode init = CURLE_OK;
  CURLSH* share = nullptr;
  std::mutex share_locks[CURL_LOCK_DATA_LAST];
  std::mutex pool_mu;
  std::vector<CURL*> idle;  // guarded by pool_mu

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->share_locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Impl*>(user)->share_locks[data].unlock();
  }

  // A handle from the pool, or a new one attached to the share; null if libcurl fails.
  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (h != nullptr && share != nullptr) curl_easy_setopt(h, CURLOPT_SHARE, share);
    return h;
  }

  // Resetting drops every option (and with them pointers into the finished exchange) but
  // keeps the handle's open connections, which is the point of pooling it.
  void Release(CURL* h) {
    curl_easy_reset(h);
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (idle.size() < options.max_idle_handles) {
        idle.push_back(h);
        return;
      }
    }
    curl_easy_cleanup(h);
  }

  Result<HttpResponse> Perform(const HttpRequest& req, const HttpBodySink* sink);
};

Result<HttpResponse> CurlTransport::Impl::Perform(const HttpRequest& req,
                                                  const HttpBodySink* sink) {
  const std::string what = DescribeRequest(req);
  if (init != CURLE_OK)
    return Internal(what + " failed: libcurl did not initialise: " + curl_easy_strerror(init));
  if (req.body_source.read && !req.body.empty())
    return InvalidArgument(what + ": a request has either a body or a body source, not both");

  CURL* h = Acquire();
  if (h == nullptr) return Internal(what + " failed: libcurl could not create a handle");
  struct Releaser {
    Impl* impl;
    CURL* h;
    ~Releaser() { impl->Release(h); }
  } releaser{this, h};

  Exchange ex;
  ex.request = &req;
  ex.sink = sink;
  const bool has_body = req.body_source.read || !req.body.empty();
  ex.body_size = req.body_source.read ? req.body_source.size : req.body.size();

  Slist headers;
  bool headers_ok = true;
  for (const HttpHeader& hd : req.headers) {
    // "Name;" is libcurl's spelling of a header with an empty value.
    headers_ok &= Append(headers, hd.value.empty() ? hd.name + ";" : hd.name + ": " + hd.value);
  }
  // "Name:" suppresses a header libcurl would add: no 1 s wait for "100 Continue", and no
  // unsigned "Accept: */*".
  if (!HasHeader(req.headers, "Expect")) headers_ok &= Append(headers, "Expect:");
  if (!HasHeader(req.headers, "Accept")) headers_ok &= Append(headers, "Accept:");
  if (!headers_ok) return Internal(what + " failed: out of memory building headers");

  char errbuf[CURL_ERROR_SIZE];
  errbuf[0] = '\0';
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, kReceiveBuffer);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeouts.connect.count()));
  if (req.timeouts.stall.count() > 0) {
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(req.timeouts.stall.count()));
  }
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeouts.total.count()));
  if (!ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file.c_str());
  if (!options.user_agent.empty())
    curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);

  if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (has_body || req.method == "PUT" || req.method == "POST") {
    // Upload mode for every method with a body: it streams from OnRead with an exact
    // Content-Length and, unlike POST mode, adds no Content-Type.
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(ex.body_size));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &ex);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &ex);
    if (req.method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    // Our own callbacks' errors (a failing sink or source) win over libcurl's echo of them.
    if (!ex.callback_error.ok()) return ex.callback_error;
    std::string msg = what + " failed: " + curl_easy_strerror(rc);
    std::string_view detail = Trim(errbuf);
    if (!detail.empty() && detail != curl_easy_strerror(rc)) {
      msg += ": ";
      msg += detail;
    }
    StatusCode code = ClassifyCurlError(rc);
    if (code == StatusCode::kFailedPrecondition)
      msg += ca_file.empty() ? " (trusting the system CA bundle)"
                             : " (trusting only the CAs in " + ca_file + ")";
    return Status(code, std::move(msg));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  ex.response.status = static_cast<int>(status);
  return std::move(ex.response);
}

CurlTransport::CurlTransport(CurlTransportOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->init = GlobalInit();
  impl_->ca_file = ChooseCaFile(options.ca_file);
  impl_->options = std::move(options);
  if (impl_->init != CURLE_OK) return;
  // DNS answers and TLS sessions are shared; connections stay with their handle, since
  // libcurl does not support sharing a connection cache between threads.
  impl_->share = curl_share_init();
  if (impl_->share != nullptr) {
    curl_share_setopt(impl_->share, CURLSHOPT_LOCKFUNC, &Impl::Lock);
    curl_share_setopt(impl_->share, CURLSHOPT_UNLOCKFUNC, &Impl::Unlock);
    curl_share_setopt(impl_->share, CURLSHOPT_USERDATA, impl_.get());
    curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
}

CurlTransport::~CurlTransport() {
  for (CURL* h : impl_->idle) curl_easy_cleanup(h);  // before the share they use
  if (impl_->share != nullptr) curl_share_cleanup(impl_->share);
}

Result<HttpResponse> CurlTransport::Send(const HttpRequest& request) {
  return impl_->Perform(request, nullptr);
}

Result<HttpResponse> CurlTransport::Stream(const HttpRequest& request, const HttpBodySink& sink) {
  if (!sink) return InvalidArgument(DescribeRequest(request) + ": streaming needs a body sink");
  return impl_->Perform(request, &sink);
}

std::string CaFileFromEnvironment() {
  for (const char* var : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return "";
}

const std::string& CurlTransport::ca_file() const { return impl_->ca_file; }

}  // namespace strm
