#include "server/stream_routes.h"

#include <atomic>

#include "core/bytes.h"
#include "formats/json_writer.h"
#include "net/http_transport.h"

namespace strm::server {
namespace {

constexpr std::string_view kTokenPath = "/auth/realms/streams/protocol/openid-connect/token";

int StatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return 204;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
std::string FormValue(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    std::string_view pair = body.substr(0, body.find('&'));
    body.remove_prefix(std::min(body.size(), pair.size() + 1));
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    for (char& c : value)
      if (c == '+') c = ' ';
    return PercentDecode(value);
  }
  return {};
}

HttpResponse OAuthError(int status, std::string_view error, std::string_view description) {
  nlohmann::json j = {{"error", error}, {"error_description", description}};
  return {status, {{"Content-Type", "application/json"}}, j.dump()};
}

}  // namespace

HttpResponse TextResponse(int status, std::string_view sentence) {
  return {status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::string(sentence) + "\n"};
}

// One /ws connection's reader of its stream's events, on a thread of its own.
struct StreamRoutes::Follower {
  std::shared_ptr<WebSocket> socket;
  std::string topic;
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};  // the thread has returned: joining it does not wait
  std::thread thread;
};

StreamRoutes::StreamRoutes(StreamIngest& ingest, EventLog& log, StreamRoutesOptions options)
    : ingest_(ingest), log_(log), options_(options) {}

StreamRoutes::~StreamRoutes() {
  std::vector<std::shared_ptr<Follower>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(followers_);
  }
  for (auto& f : all) f->stop = true;
  for (auto& f : all)
    if (f->thread.joinable()) f->thread.join();
}

bool StreamRoutes::Owns(std::string_view path) {
  return path == kTokenPath || path == "/event" || path == "/events" || path == "/is-alive" ||
         path == "/ws";
}

WebSocketDecision StreamRoutes::OpenWebSocket(const HttpRequest& r) {
  WebSocketDecision d;
  if (r.path != "/ws") {
    d.refuse = TextResponse(404, "no WebSocket at " + r.path + " (events are at /ws)");
    return d;
  }
  const std::string_view token = r.BearerToken();
  auto claims = token.empty() ? Result<StreamTokenClaims>(PermissionDenied(
                                    "missing access token: send 'Authorization: Bearer <token>'"))
                              : ingest_.Authorize(token);
  if (!claims.ok()) {
    d.refuse = TextResponse(401, claims.status().message());
    d.refuse->headers.emplace_back("WWW-Authenticate", "Bearer");
    return d;
  }
  auto f = std::make_shared<Follower>();
  f->topic = StreamIngest::EventsTopic(claims->stream_id);
  std::weak_ptr<Follower> weak = f;
  d.opened = [this, f](std::shared_ptr<WebSocket> socket) {
    f->socket = std::move(socket);
    std::lock_guard lock(mu_);
    // Followers of closed sockets are joined as new ones come.
    for (auto it = followers_.begin(); it != followers_.end();) {
      if ((*it)->done) {
        if ((*it)->thread.joinable()) (*it)->thread.join();
        it = followers_.erase(it);
      } else {
        ++it;
      }
    }
    f->thread = std::thread([this, f] { Follow(f); });
    followers_.push_back(f);
  };
  d.closed = [weak] {
    if (auto f = weak.lock()) f->stop = true;
  };
  return d;
}

void StreamRoutes::Follow(const std::shared_ptr<Follower>& f) {
  // Every event appended from now on; the topic may not exist before the stream's first event.
  std::vector<uint64_t> next;
  while (!f->stop && next.empty()) {
    auto partitions = log_.Partitions(f->topic);
    if (partitions.ok()) {
      for (int p = 0; p < *partitions; ++p) {
        auto end = log_.EndOffset(f->topic, p);
        next.push_back(end.ok() ? *end : 0);
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto wait =
      next.size() == 1 ? std::chrono::milliseconds(300) : std::chrono::milliseconds(0);
  while (!f->stop && !f->socket->closed()) {
    bool any = false;
    for (size_t p = 0; p < next.size() && !f->stop; ++p) {
      auto read = log_.Read(f->topic, static_cast<int>(p), next[p], 1 << 20, wait);
      if (!read.ok()) {
        f->socket->Close();
        f->stop = true;
        break;
      }
      for (StoredRecord& rec : read->records) f->socket->SendText(std::move(rec.record.value));
      any = any || !read->records.empty();
      next[p] = read->next_offset;
      if (f->socket->queued() > options_.max_ws_queue) {  // a reader that does not keep up
        f->socket->Close();
        f->stop = true;
      }
    }
    if (!any && next.size() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  f->stop = true;
  f->done = true;
}

void StreamRoutes::Handle(HttpRequest&& r, Responder respond, std::string& route) {
  route = r.path;
  if (r.path == "/ws")
    return respond(TextResponse(426, "/ws is a WebSocket: send an upgrade request"));
  const bool get = r.path == "/is-alive";
  if (r.method != (get ? "GET" : "POST"))
    return respond(TextResponse(405, "method " + r.method + " is not allowed on " + r.path));
  if (get) return respond({200, {{"Content-Type", "text/plain"}}, "ok"});
  if (r.path == kTokenPath) return Token(r, respond);
  if (r.path == "/event") return Event(std::move(r), respond);
  Events(std::move(r), respond);
}

void StreamRoutes::Token(const HttpRequest& r, const Responder& respond) {
  const std::string grant = FormValue(r.body, "grant_type");
  Result<StreamLogin> login = PermissionDenied("");
  if (grant == "client_credentials") {
    std::string id = FormValue(r.body, "client_id"), secret = FormValue(r.body, "client_secret");
    std::string_view auth = r.Header("authorization");
    if (id.empty() && auth.size() > 6 &&
        (auth.substr(0, 6) == "Basic " || auth.substr(0, 6) == "basic ")) {
      auto decoded = Base64Decode(auth.substr(6));
      if (decoded.ok()) {
        std::string pair(decoded->begin(), decoded->end());
        const size_t colon = pair.find(':');
        if (colon != std::string::npos) {
          id = PercentDecode(pair.substr(0, colon));
          secret = PercentDecode(pair.substr(colon + 1));
        }
      }
    }
    if (id.empty() || secret.empty())
      return respond(
          OAuthError(400, "invalid_request", "client_id and client_secret are required"));
    login = ingest_.Login(id, secret);
    if (!login.ok()) return respond(OAuthError(401, "invalid_client", login.status().message()));
  } else if (grant == "refresh_token") {
    const std::string token = FormValue(r.body, "refresh_token");
    if (token.empty())
      return respond(OAuthError(400, "invalid_request", "refresh_token is required"));
    login = ingest_.Refresh(token);
    if (!login.ok()) return respond(OAuthError(400, "invalid_grant", login.status().message()));
  } else {
    return respond(OAuthError(400, "unsupported_grant_type",
                              "grant_type must be client_credentials or refresh_token"));
  }
  const nlohmann::json answer = {{"access_token", login->access_token},
                                 {"refresh_token", login->refresh_token},
                                 {"expires_in", login->expires_in},
                                 {"refresh_expires_in", login->refresh_expires_in},
                                 {"token_type", "Bearer"},
                                 {"expires_at", login->expires_at}};
  respond(
      {200, {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}}, answer.dump()});
}

std::optional<StreamTokenClaims> StreamRoutes::Authorized(const HttpRequest& r,
                                                          const Responder& respond) {
  const std::string_view token = r.BearerToken();
  if (token.empty()) {
    HttpResponse res = TextResponse(
        401,
        "missing access token: send 'Authorization: Bearer <token>' (from the token endpoint)");
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    respond(std::move(res));
    return std::nullopt;
  }
  auto claims = ingest_.Authorize(token);
  if (!claims.ok()) {
    HttpResponse res = TextResponse(401, claims.status().message());
    res.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    respond(std::move(res));
    return std::nullopt;
  }
  return std::move(claims).value();
}

void StreamRoutes::Event(HttpRequest&& r, const Responder& respond) {
  auto who = Authorized(r, respond);
  if (!who) return;
  if (r.body.size() > options_.max_record_bytes)
    return respond(TextResponse(413, "the event has " + std::to_string(r.body.size()) +
                                         " bytes, more than the limit of " +
                                         std::to_string(options_.max_record_bytes)));
  const std::string_view type_header = r.Header("strm-serialization-type");
  auto encoding = ParseEventEncoding(type_header);
  if (!encoding)
    return respond(TextResponse(415,
                                "Strm-Serialization-Type must be application/x-avro-binary "
                                "or application/json"));
  if (ingest_.Saturated()) {
    HttpResponse res = TextResponse(429, "too many events are waiting for the disk; retry soon");
    res.headers.emplace_back("Retry-After", "1");
    return respond(std::move(res));
  }
  std::string_view schema_ref = r.Header("strm-schema-ref");
  if (schema_ref.empty()) schema_ref = r.Header("strm-schema-id");
  ingest_.Ingest(*who, *encoding, schema_ref, r.body, [respond](Status s) {
    if (s.ok()) return respond({204, {}, ""});
    respond(TextResponse(StatusOf(s), s.message()));
  });
}

void StreamRoutes::Events(HttpRequest&& r, const Responder& respond) {
  auto who = Authorized(r, respond);
  if (!who) return;
  std::vector<nlohmann::json> events;
  const std::string_view body = r.body;
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '[') {
    auto all = nlohmann::json::parse(body, nullptr, false);
    if (all.is_discarded() || !all.is_array())
      return respond(TextResponse(400, "the body is not a valid JSON array of events"));
    for (auto& e : all) events.push_back(std::move(e));
  } else {
    size_t line_no = 0;
    for (std::string_view rest = body; !rest.empty();) {
      const size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_discarded())
        return respond(TextResponse(
            400, "line " + std::to_string(line_no) + " of the body is not valid JSON"));
      events.push_back(std::move(e));
    }
  }
  if (events.size() > options_.max_batch_events)
    return respond(TextResponse(413, "the request has " + std::to_string(events.size()) +
                                         " events, more than the limit of " +
                                         std::to_string(options_.max_batch_events)));
  if (events.empty())
    return respond({200, {{"Content-Type", "application/json"}}, R"({"results":[]})"});
  if (ingest_.Saturated()) {
    HttpResponse res = TextResponse(429, "too many events are waiting for the disk; retry soon");
    res.headers.emplace_back("Retry-After", "1");
    return respond(std::move(res));
  }
  // Elements that are not objects are refused here; the others go to the log together.
  std::vector<Status> refused(events.size());
  std::vector<nlohmann::json> objects;
  objects.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].is_object()) {
      objects.push_back(std::move(events[i]));
    } else {
      refused[i] = InvalidArgument("the event must be a JSON object");
    }
  }
  ingest_.IngestBatch(*who, std::move(objects),
                      [respond, refused = std::move(refused)](std::vector<Status> taken) {
                        std::string body = R"({"results":[)";
                        size_t next = 0;
                        for (size_t i = 0; i < refused.size(); ++i) {
                          const Status& st = refused[i].ok() ? taken[next++] : refused[i];
                          if (i > 0) body += ',';
                          if (st.ok()) {
                            body += R"({"status":204})";
                          } else {
                            body += R"({"error":)";
                            AppendJsonString(st.message(), body);
                            body += R"(,"status":)" + std::to_string(StatusOf(st)) + "}";
                          }
                        }
                        body += "]}";
                        respond({200, {{"Content-Type", "application/json"}}, std::move(body)});
                      });
}

}  // namespace strm::server
