#include "server/serve.h"

#include <signal.h>

#include <atomic>
#include <charconv>
#include <cmath>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/api_tokens.h"
#include "platform/entity_json.h"
#include "platform/platform.h"
#include "server/api.h"
#include "server/home_lock.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/server_phase.h"
#include "server/stream_routes.h"
#include "streams/derived_streams.h"
#include "streams/embedded_log.h"

namespace strm::server {
namespace {

Status ParseListen(const std::string& listen, HttpServerOptions& out) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return InvalidArgument("--listen must be HOST:PORT, got '" + listen + "'");
  int port = -1;
  const std::string_view digits = std::string_view(listen).substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port < 0 || port > 65535)
    return InvalidArgument("--listen: the port must be a number from 0 to 65535, got '" +
                           std::string(digits) + "'");
  out.host = listen.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);  // [::1]:8080
  out.port = static_cast<uint16_t>(port);
  return Status::Ok();
}

// The first start of a server on a home makes an admin token and writes it, and nothing else,
// to <home>/api-token (0600): never to the log or the terminal.
Status EnsureAdminToken(Catalog& catalog, const std::string& home, Log& log) {
  STRM_ASSIGN_OR_RETURN(auto tokens, catalog.ListApiTokens());
  if (!tokens.empty()) return Status::Ok();
  STRM_ASSIGN_OR_RETURN(auto made, NewApiToken("admin"));
  const std::string path = home + "/api-token";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot write " + path + ": " + std::strerror(errno));
  const std::string text = made.second + "\n";
  const bool written = ::fchmod(fd, 0600) == 0 &&
                       ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return IoError("cannot write " + path);
  STRM_RETURN_IF_ERROR(catalog.CreateApiToken(made.first));
  log.Write("api-token", {{"path", path}, {"id", made.first.id}, {"name", made.first.name}});
  return Status::Ok();
}

}  // namespace

Status Serve(const ServeOptions& options) {
  HttpServerOptions http;
  STRM_RETURN_IF_ERROR(ParseListen(options.listen, http));
  if (options.tls_cert_file.has_value() != options.tls_key_file.has_value())
    return InvalidArgument("TLS needs both --tls-cert and --tls-key");
  http.threads = options.http_threads;
  http.max_body_bytes = options.max_body_bytes;
  http.tls_cert_file = options.tls_cert_file;
  http.tls_key_file = options.tls_key_file;

  // Signals are taken by this thread alone (sigwait below): every thread made from here on
  // inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Each connection is a file descriptor: take the hard limit, as 10,000 idle keep-alive
  // clients need more than the usual soft limit of 1,024.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  getrlimit(RLIMIT_NOFILE, &files);

  Log log(options.log_format);
  Metrics metrics;
  STRM_ASSIGN_OR_RETURN(auto lock, HomeLock::Acquire(options.home));

  // Listening comes first, so that an address in use is told before anything is made; until
  // the platform is open every request gets 503 (/healthz: "starting").
  ServerPhase phase;
  std::unique_ptr<Catalog> tokens;  // checked on a connection of their own
  std::unique_ptr<Platform> platform;
  std::unique_ptr<Api> api;
  std::unique_ptr<EventLog> event_log;
  std::unique_ptr<StreamIngest> ingest;
  std::unique_ptr<StreamRoutes> stream_routes;
  std::unique_ptr<DerivedStreams> derived_streams;
  auto handler = [&](HttpRequest&& request, Responder respond) {
    const auto started = std::chrono::steady_clock::now();
    const std::string method = request.method, path = request.path;
    auto route = std::make_shared<std::string>(path);
    Responder logged = [&log, &metrics, respond, method, path, route,
                        started](HttpResponse response) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      metrics.CountRequest(*route, method, response.status, seconds);
      // Events taken are counted, not logged one by one (a line per event would be the log's
      // whole volume, and most of an event's cost); every refusal is logged.
      if (response.status < 300 && (*route == "/event" || *route == "/events"))
        return respond(std::move(response));
      log.Write("request", {{"method", method},
                            {"path", path},
                            {"status", response.status},
                            {"ms", std::round(seconds * 1e5) / 100}});
      respond(std::move(response));
    };
    const ServerPhase::Value now = phase.Get();
    if (path == "/healthz") {
      const char* status = now == ServerPhase::kReady      ? "ok"
                           : now == ServerPhase::kStarting ? "starting"
                                                           : "stopping";
      return logged(JsonResponse(now == ServerPhase::kReady ? 200 : 503, {{"status", status}}));
    }
    if (auto refused = phase.Refusal(path)) return logged(std::move(*refused));
    if (path == "/metrics" && method == "GET") {
      auto jobs = platform->ListBatchJobs();
      if (!jobs.ok()) return logged(ErrorResponse(500, jobs.status()));
      return logged({200,
                     {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                     metrics.Render(*jobs)});
    }
    if (path.rfind("/api/", 0) == 0) return api->Handle(std::move(request), logged, *route);
    if (StreamRoutes::Owns(path)) return stream_routes->Handle(std::move(request), logged, *route);
    *route = "/other";
    logged(ErrorResponse(404, NotFound("no route for " + method + " " + path)));
  };
  // Declared after what its handler uses: it is destroyed (stopped) first.
  auto websockets = [&](const HttpRequest& request) {
    if (phase.Get() != ServerPhase::kReady) {
      WebSocketDecision d;
      d.refuse = TextResponse(503, "the server is starting or stopping");
      return d;
    }
    return stream_routes->OpenWebSocket(request);
  };
  STRM_ASSIGN_OR_RETURN(auto server, HttpServer::Start(http, handler, websockets));

  STRM_ASSIGN_OR_RETURN(tokens, OpenSqliteCatalog(options.home));
  STRM_RETURN_IF_ERROR(EnsureAdminToken(*tokens, options.home, log));
  LocalPlatformOptions platform_options;
  platform_options.server = true;
  platform_options.job_slots = options.job_slots;
  platform_options.watch_interval = options.watch_interval;
  platform_options.on_file = [&log, &metrics](const BatchJobRecord& job, const BatchJobFile& f) {
    metrics.JobFile(f);
    nlohmann::ordered_json fields = {
        {"id", job.id}, {"file", f.name}, {"seq", f.seq}, {"state", JobFileStateName(f.state)}};
    if (f.stats.contains("attempts")) fields["attempt"] = f.stats["attempts"];
    if (f.state == JobFileState::kDone) fields["rows"] = f.stats.value("rows", uint64_t{0});
    if (f.state != JobFileState::kProcessing && !f.message.empty()) fields["message"] = f.message;
    log.Write("batch-job-file", fields);
  };
  platform_options.on_transition = [&log, &metrics](const BatchJobRecord& job) {
    metrics.JobTransition(job);
    nlohmann::ordered_json fields = {{"id", job.id}, {"state", JobStateName(job.state)}};
    if (job.stats.is_object() && job.stats.contains("attempt"))
      fields["attempt"] = job.stats["attempt"];
    if (IsFinal(job.state) && !job.message.empty()) fields["message"] = job.message;
    log.Write("batch-job", fields);
  };
  STRM_ASSIGN_OR_RETURN(platform, OpenLocalPlatform(options.home, platform_options));

  const std::string log_dir =
      options.event_log_dir.empty() ? options.home + "/log" : options.event_log_dir;
  STRM_ASSIGN_OR_RETURN(event_log, EmbeddedLog::Open(log_dir));
  STRM_ASSIGN_OR_RETURN(auto master_key, LoadOrCreateMasterKey(options.home, false));
  ingest = std::make_unique<StreamIngest>(*tokens, *event_log, master_key);
  stream_routes = std::make_unique<StreamRoutes>(*ingest, *event_log);
  ApiOptions api_options;
  api_options.stream_token = [&ingest](std::string_view stream) -> Result<nlohmann::json> {
    STRM_ASSIGN_OR_RETURN(StreamLogin login, ingest->LoginAs(stream));
    return nlohmann::json{{"access_token", login.access_token},
                          {"refresh_token", login.refresh_token},
                          {"expires_in", login.expires_in},
                          {"token_type", "Bearer"},
                          {"expires_at", login.expires_at}};
  };
  api = std::make_unique<Api>(
      *platform, [&tokens](std::string_view token) { return VerifyApiToken(*tokens, token); },
      api_options);
  derived_streams = std::make_unique<DerivedStreams>(
      *tokens, *event_log, master_key, std::chrono::seconds(1),
      [&log](const std::string& stream, const Status& s) {
        log.Write("derived-stream", {{"stream", stream}, {"error", s.message()}});
      });
  phase.Set(ServerPhase::kReady);
  const std::string scheme = options.tls_cert_file ? "https" : "http";
  log.Write("ready", {{"home", options.home},
                      {"job_slots", options.job_slots},
                      {"open_files", static_cast<uint64_t>(files.rlim_cur)},
                      {"url", scheme + "://" + http.host + ":" + std::to_string(server->port())}});

  int signal = 0;
  sigwait(&stop_signals, &signal);
  phase.Set(ServerPhase::kStopping);
  log.Write("draining", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server->StopAccepting();
  server->Stop(options.drain_grace);  // requests in progress are answered
  api.reset();                        // its workers finish what they run on the platform
  stream_routes.reset();
  derived_streams.reset();
  ingest.reset();
  event_log.reset();  // the appends queued are made durable first
  platform.reset();   // running jobs are cancelled and put back PENDING
  log.Write("stopped", nlohmann::ordered_json::object());
  return Status::Ok();
}

}  // namespace strm::server
