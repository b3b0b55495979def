#include "server/serve.h"

#include <signal.h>

#include <atomic>
#include <charconv>
#include <cmath>

#include "platform/platform.h"
#include "server/home_lock.h"
#include "server/http_server.h"

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

HttpResponse Json(int status, const nlohmann::json& body) {
  return {status, {{"Content-Type", "application/json"}}, body.dump()};
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

  Log log(options.log_format);
  STRM_ASSIGN_OR_RETURN(auto lock, HomeLock::Acquire(options.home));
  LocalPlatformOptions platform_options;
  platform_options.server = true;
  platform_options.job_slots = options.job_slots;
  STRM_ASSIGN_OR_RETURN(auto platform, OpenLocalPlatform(options.home, platform_options));

  std::atomic<bool> ready{false};
  auto handler = [&](HttpRequest&& request, Responder respond) {
    const auto started = std::chrono::steady_clock::now();
    const std::string method = request.method, path = request.path;
    Responder logged = [&log, respond, method, path, started](HttpResponse response) {
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      log.Write("request", {{"method", method},
                            {"path", path},
                            {"status", response.status},
                            {"ms", std::round(ms * 100) / 100}});
      respond(std::move(response));
    };
    if (path == "/healthz") {
      const bool up = ready.load();
      return logged(Json(up ? 200 : 503, {{"status", up ? "ok" : "stopping"}}));
    }
    logged(Json(404,
                {{"error", {{"code", 404}, {"message", "no route for " + method + " " + path}}}}));
  };
  STRM_ASSIGN_OR_RETURN(auto server, HttpServer::Start(http, handler));
  const std::string scheme = options.tls_cert_file ? "https" : "http";
  ready = true;
  log.Write("ready", {{"home", options.home},
                      {"job_slots", options.job_slots},
                      {"url", scheme + "://" + http.host + ":" + std::to_string(server->port())}});

  int signal = 0;
  sigwait(&stop_signals, &signal);
  ready = false;
  log.Write("draining", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server->StopAccepting();
  server->Stop(options.drain_grace);  // requests in progress are answered
  platform.reset();                   // running jobs are cancelled and put back PENDING
  log.Write("stopped", nlohmann::ordered_json::object());
  return Status::Ok();
}

}  // namespace strm::server
