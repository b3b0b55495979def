// The HTTP layer alone (issue 15's choice of server library): strm's HttpServer answering 204
// to every request, on one event-loop thread, as nginx does in bench/http_hello.sh.
// Usage: strm_http_hello PORT
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "server/http_server.h"

int main(int argc, char** argv) {
  strm::server::HttpServerOptions options;
  options.port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8082);
  options.threads = 1;
  auto server = strm::server::HttpServer::Start(
      options, [](strm::server::HttpRequest&&, strm::server::Responder respond) {
        respond({204, {}, ""});
      });
  if (!server.ok()) {
    std::fprintf(stderr, "http_hello: %s\n", server.status().message().c_str());
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
