// The server side of one HTTP/2 connection, over bytes (nghttp2): the socket's bytes go in
// with Feed, the bytes to send come out of TakeOutput. Each complete request (its headers and
// its body) goes to `on_request` with its stream id, and Respond answers that stream, now or
// later. Streams run concurrently (up to `max_streams`); a body over `max_body` bytes is
// answered 413 without being kept. Not thread-safe: one connection calls it from one strand.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "server/http_types.h"

struct nghttp2_session;

namespace strm::server {

class Http2Session {
 public:
  using OnRequest = std::function<void(int32_t stream, HttpRequest&&)>;

  Http2Session(OnRequest on_request, size_t max_body, uint32_t max_streams);
  ~Http2Session();
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // False on a protocol error: write what TakeOutput gives (a GOAWAY), then close.
  bool Feed(std::string_view bytes);
  // Everything the session wants sent now ("" if nothing).
  std::string TakeOutput();
  // Answers `stream`; ignored if the peer has closed it meanwhile.
  void Respond(int32_t stream, HttpResponse response);
  // Tells the peer that no new stream will be accepted (a draining server); streams in
  // progress finish.
  void GoAway();
  // False once the session is over (both sides are done): close the connection.
  bool Alive() const;

 private:
  struct Stream;
  Stream* Find(int32_t id);

  OnRequest on_request_;
  const size_t max_body_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;

  friend struct Http2Callbacks;
};

}  // namespace strm::server
