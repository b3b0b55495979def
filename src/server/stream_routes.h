// The HTTP face of streams (SPEC §3), as STRM's drivers speak it:
//   POST /auth/realms/streams/protocol/openid-connect/token  form-encoded client_credentials
//        (client_id and client_secret in the form, or HTTP Basic) or refresh_token grant ->
//        200 {"access_token", "refresh_token", "expires_in", "refresh_expires_in",
//        "token_type": "Bearer", "expires_at"}; 401 {"error": "invalid_client"}; 400
//        {"error": "invalid_grant" | "unsupported_grant_type" | "invalid_request"}.
//   POST /event   one event (Strm-Schema-Ref or the older Strm-Schema-Id;
//        Strm-Serialization-Type application/x-avro-binary, the default, or application/json)
//        -> 204 once durable; 400, 401, 403, 413, 415, 429 (Retry-After), 5xx with one
//        sentence of plain text, as STRM's gateway answers.
//   POST /events  many JSON events (a JSON array, or JSON Lines) -> 200 {"results": [{"status":
//        204} | {"status": 400, "error": "..."}, ...]} in order, once all are durable.
//   GET /is-alive -> 200 "ok".
//   GET /ws       (a WebSocket upgrade, with the stream's access token; ?asJson=true is
//        accepted: events are JSON either way) -> each event appended to the token's stream
//        after the connection opened, as one text message of JSON. A reader that lets more
//        than `max_ws_queue` messages pile up is closed.
// Everything runs on the calling (event-loop) thread except the log's completions.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http_types.h"
#include "streams/stream_ingest.h"

namespace strm::server {

struct StreamRoutesOptions {
  size_t max_record_bytes = 1 << 20;  // a /event body; a /events body is the server's limit
  size_t max_batch_events = 10'000;   // events in one /events request
  size_t max_ws_queue = 10'000;       // messages waiting for a slow WebSocket reader
};

class StreamRoutes {
 public:
  // `log`: where the streams' events are read for /ws.
  StreamRoutes(StreamIngest& ingest, EventLog& log, StreamRoutesOptions options = {});
  ~StreamRoutes();  // stops the WebSocket followers

  // Whether `path` is one of these routes (the server sends them here).
  static bool Owns(std::string_view path);
  // Answers; `route` is set at once (metrics).
  void Handle(HttpRequest&& request, Responder respond, std::string& route);
  // The HTTP server's WebSocket handler: /ws, or a refusal.
  WebSocketDecision OpenWebSocket(const HttpRequest& request);

 private:
  void Token(const HttpRequest& r, const Responder& respond);
  void Event(HttpRequest&& r, const Responder& respond);
  void Events(HttpRequest&& r, const Responder& respond);
  // The access token's claims, or the 401 already answered.
  std::optional<StreamTokenClaims> Authorized(const HttpRequest& r, const Responder& respond);

  struct Follower;
  void Follow(const std::shared_ptr<Follower>& f);

  StreamIngest& ingest_;
  EventLog& log_;
  const StreamRoutesOptions options_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Follower>> followers_;
};

// 4xx/5xx with a sentence of plain text (STRM's gateway's error bodies).
HttpResponse TextResponse(int status, std::string_view sentence);

}  // namespace strm::server
