#include "server/server_phase.h"

#include "server/api.h"
#include "server/stream_routes.h"

namespace strm::server {

std::optional<HttpResponse> ServerPhase::Refusal(std::string_view path) const {
  const Value now = Get();
  if (now == kReady) return std::nullopt;
  const char* sentence = now == kStarting ? "the server is starting" : "the server is stopping";
  HttpResponse res = StreamRoutes::Owns(path) ? TextResponse(503, sentence)
                                              : ErrorResponse(503, Unavailable(sentence));
  res.headers.emplace_back("Retry-After", "1");
  return res;
}

}  // namespace strm::server
