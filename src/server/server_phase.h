// The phase of a `strm serve` process as its requests see it. The server listens before the
// platform is open, so that an address in use is told first; until then every request but
// /healthz is answered 503 "the server is starting". From SIGTERM/SIGINT on, requests that
// still arrive on open connections are answered 503 "the server is stopping" while the ones
// in progress finish (SPEC §3: 503 while shutting down). Thread-safe.
#pragma once

#include <atomic>
#include <optional>
#include <string_view>

#include "server/http_types.h"

namespace strm::server {

class ServerPhase {
 public:
  enum Value { kStarting, kReady, kStopping };

  void Set(Value v) { value_.store(v, std::memory_order_release); }
  Value Get() const { return value_.load(std::memory_order_acquire); }

  // The answer to a request for `path` when it may not be served now (nullopt when ready):
  // 503 with the sentence, as plain text on the stream routes (as STRM's gateway answers) and
  // as the API's JSON error elsewhere.
  std::optional<HttpResponse> Refusal(std::string_view path) const;

 private:
  std::atomic<Value> value_{kStarting};
};

}  // namespace strm::server
