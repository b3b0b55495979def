// `strm serve` (SPEC §5): the platform as a long-running server on one $STRM_HOME. It takes
// the home's server lock, opens the embedded platform as a server (its unfinished jobs run
// again) and the event log of streams, serves the REST API, the streams' routes
// (server/stream_routes.h), /healthz and /metrics, and runs until SIGTERM or SIGINT. Then it
// drains: /healthz answers 503, no new connection is accepted, requests in progress are
// answered, running jobs are put back to run again at the next start; it returns OK (exit 0).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/status.h"
#include "server/log.h"

namespace strm::server {

struct ServeOptions {
  std::string home;                       // $STRM_HOME
  std::string listen = "127.0.0.1:8080";  // HOST:PORT (port 0: any free port)
  std::string event_log_dir;              // the embedded event log; empty: <home>/log
  std::optional<std::string> tls_cert_file, tls_key_file;
  int job_slots = 2;                                 // batch jobs that run at once
  std::chrono::milliseconds watch_interval{10'000};  // between listings of a watching job
  int http_threads = 1;
  size_t max_body_bytes = 16 << 20;
  LogFormat log_format = LogFormat::kText;
  std::chrono::milliseconds drain_grace{10'000};  // for requests in progress
};

// Blocks until a signal asks it to stop. Errors before the server is ready (a bad flag, the
// lock held by another server, an address in use) come back at once; nothing is left running.
Status Serve(const ServeOptions& options);

}  // namespace strm::server
