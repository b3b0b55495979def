#include "server/http2_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

namespace strm::server {

struct Http2Session::Stream {
  HttpRequest request;
  bool too_large = false;
  bool answered = false;
  // The response while it is sent: its header fields must outlive the submit, its body is
  // read by the data provider.
  std::vector<std::string> header_text;
  std::string body;
  size_t body_sent = 0;
};

Http2Session::Stream* Http2Session::Find(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

// nghttp2's callbacks, each given the session as user data.
struct Http2Callbacks {
  static Http2Session& Self(void* p) { return *static_cast<Http2Session*>(p); }

  static int BeginHeaders(nghttp2_session*, const nghttp2_frame* f, void* p) {
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto stream = std::make_unique<Http2Session::Stream>();
    stream->request.protocol = "h2c";
    Self(p).streams_[f->hd.stream_id] = std::move(stream);
    return 0;
  }

  static int Header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t nlen,
                    const uint8_t* value, size_t vlen, uint8_t, void* p) {
    Http2Session::Stream* s = Self(p).Find(f->hd.stream_id);
    if (s == nullptr) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), nlen);
    std::string v(reinterpret_cast<const char*>(value), vlen);
    HttpRequest& r = s->request;
    if (n == ":method") {
      r.method = std::move(v);
    } else if (n == ":path") {
      r.target = std::move(v);
      const size_t q = r.target.find('?');
      r.path = r.target.substr(0, q);
      r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
    } else if (!n.empty() && n[0] != ':') {
      r.headers.emplace_back(std::string(n), std::move(v));  // HTTP/2 names are lowercase
    }
    return 0;
  }

  static int DataChunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                       void* p) {
    Http2Session& self = Self(p);
    Http2Session::Stream* s = self.Find(id);
    if (s == nullptr || s->too_large) return 0;
    if (s->request.body.size() + len > self.max_body_) {
      s->too_large = true;
      s->request.body.clear();
      s->request.body.shrink_to_fit();
      return 0;
    }
    s->request.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int FrameRecv(nghttp2_session*, const nghttp2_frame* f, void* p) {
    Http2Session& self = Self(p);
    if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) return 0;
    Http2Session::Stream* s = self.Find(f->hd.stream_id);
    if (s == nullptr) return 0;
    if (f->hd.type == NGHTTP2_HEADERS && !s->too_large) {
      // A declared length over the limit is refused before the body comes.
      std::string_view length = s->request.Header("content-length");
      if (!length.empty() && length.size() < 20 &&
          std::strtoull(std::string(length).c_str(), nullptr, 10) > self.max_body_)
        s->too_large = true;
    }
    if (s->too_large && !s->answered) {
      self.Respond(f->hd.stream_id,
                   LayerError(413, "the request body is larger than the server accepts"));
      return 0;
    }
    if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) && !s->answered)
      self.on_request_(f->hd.stream_id, std::move(s->request));
    return 0;
  }

  static int StreamClose(nghttp2_session*, int32_t id, uint32_t, void* p) {
    Self(p).streams_.erase(id);
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void*) {
    auto* s = static_cast<Http2Session::Stream*>(nghttp2_session_get_stream_user_data(session, id));
    if (s == nullptr) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    const size_t n = std::min(length, s->body.size() - s->body_sent);
    std::memcpy(buf, s->body.data() + s->body_sent, n);
    s->body_sent += n;
    if (s->body_sent == s->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

Http2Session::Http2Session(OnRequest on_request, size_t max_body, uint32_t max_streams)
    : on_request_(std::move(on_request)), max_body_(max_body) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, Http2Callbacks::BeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cb, Http2Callbacks::Header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, Http2Callbacks::DataChunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, Http2Callbacks::FrameRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, Http2Callbacks::StreamClose);
  nghttp2_session_server_new(&session_, cb, this);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
}

Http2Session::~Http2Session() { nghttp2_session_del(session_); }

bool Http2Session::Feed(std::string_view bytes) {
  const ssize_t n = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return n >= 0;
}

std::string Http2Session::TakeOutput() {
  std::string out;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  return out;
}

void Http2Session::Respond(int32_t id, HttpResponse response) {
  Stream* s = Find(id);
  if (s == nullptr || s->answered) return;
  s->answered = true;
  s->header_text.clear();
  s->header_text.push_back(std::to_string(response.status));
  for (auto& [name, value] : response.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    s->header_text.push_back(std::move(lower));
    s->header_text.push_back(std::move(value));
  }
  s->body = std::move(response.body);
  const bool no_body = response.status == 204 || response.status == 304;
  if (no_body) s->body.clear();
  if (!no_body) {
    s->header_text.push_back("content-length");
    s->header_text.push_back(std::to_string(s->body.size()));
  }
  auto field = [](const std::string& n, const std::string& v) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                      NGHTTP2_NV_FLAG_NONE};
  };
  static const std::string kStatus = ":status";
  std::vector<nghttp2_nv> nv;
  nv.push_back(field(kStatus, s->header_text[0]));
  for (size_t i = 1; i + 1 < s->header_text.size(); i += 2)
    nv.push_back(field(s->header_text[i], s->header_text[i + 1]));
  nghttp2_session_set_stream_user_data(session_, id, s);
  if (s->body.empty()) {
    nghttp2_submit_response(session_, id, nv.data(), nv.size(), nullptr);
  } else {
    nghttp2_data_provider provider{};
    provider.read_callback = Http2Callbacks::ReadBody;
    nghttp2_submit_response(session_, id, nv.data(), nv.size(), &provider);
  }
}

void Http2Session::GoAway() {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

bool Http2Session::Alive() const {
  return nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0;
}

}  // namespace strm::server
