#include "cli/simulate_events.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include "cli/stream_client.h"
#include "formats/avro.h"
#include "net/curl_transport.h"
#include "privacy/builtin_contracts.h"

namespace strm::cli {
namespace {

struct SimulateFlags {
  std::string stream;
  int64_t interval_ms = 1000;
  int64_t session_range = 1000;
  std::string session_prefix = "session";
  std::vector<std::string> purposes = {"", "0", "0/1", "0/1/2", "0/1/2/3"};
  std::string events_api_url;
  std::string schema = "strmprivacy/example/1.3.0";
  bool quiet = false;
  int64_t count = 0;  // 0: until Ctrl-C
  StreamClientFlags client;
};

Result<std::vector<std::vector<int>>> ParsePurposes(const std::vector<std::string>& purposes) {
  if (purposes.empty()) return InvalidArgument("--purposes: give at least one set of levels");
  std::vector<std::vector<int>> out;
  for (const std::string& p : purposes) {
    std::vector<int> levels;
    for (size_t start = 0; start < p.size();) {
      const size_t slash = std::min(p.find('/', start), p.size());
      const std::string part = p.substr(start, slash - start);
      if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
          part.size() > 9)
        return InvalidArgument("--purposes: '" + p +
                               "' must be levels separated by '/' (0/1/2), or empty");
      levels.push_back(std::stoi(part));
      start = slash + 1;
    }
    out.push_back(std::move(levels));
  }
  return out;
}

Status Simulate(Context& ctx, const SimulateFlags& f) {
  auto schema_text = BuiltinAvroSchema(f.schema);
  if (!schema_text)
    return InvalidArgument("the schema " + f.schema +
                           " is not supported by the simulator (strmprivacy/example/1.3.0 is)");
  STRM_ASSIGN_OR_RETURN(AvroSchema schema, AvroSchema::Parse(*schema_text));
  STRM_ASSIGN_OR_RETURN(auto purposes, ParsePurposes(f.purposes));
  STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
  STRM_ASSIGN_OR_RETURN(StreamRecord stream, p->GetStream(f.stream));
  if (!stream.linked_stream.empty())
    return FailedPrecondition("stream " + stream.name +
                              " is derived: simulators send to source streams only");
  STRM_ASSIGN_OR_RETURN(StreamSession session, OpenStreamSession(ctx, f.stream, f.client));
  const std::string url = f.events_api_url.empty() ? session.base_url + "/event" : f.events_api_url;
  if (!f.quiet)
    std::cerr << "Starting to simulate random " << f.schema << " events to stream " << f.stream
              << ". Sending one event every " << f.interval_ms << " ms." << std::endl;
  CatchInterrupts();
  CurlTransport transport;
  std::mt19937_64 rng(std::random_device{}());
  auto below = [&rng](int64_t n) { return std::uniform_int_distribution<int64_t>(0, n - 1)(rng); };
  int64_t sent = 0;
  auto last_report = std::chrono::steady_clock::now();
  while (!CancelRequested() && (f.count == 0 || sent < f.count)) {
    const nlohmann::json event = {
        {"strmMeta",
         {{"eventContractRef", "strmprivacy/example/1.3.0"},
          {"nonce", nullptr},
          {"timestamp", nullptr},
          {"keyLink", nullptr},
          {"billingId", nullptr},
          {"consentLevels", purposes[static_cast<size_t>(below(purposes.size()))]}}},
        {"uniqueIdentifier", "unique-" + std::to_string(below(100))},
        {"consistentValue", f.session_prefix + "-" + std::to_string(below(f.session_range))},
        {"someSensitiveValue", "sensitive-" + std::to_string(below(100))},
        {"notSensitiveValue", "not-sensitive-" + std::to_string(below(100))}};
    STRM_ASSIGN_OR_RETURN(std::string body, schema.EncodeBinary(event));
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.headers = {{"Authorization", "Bearer " + session.access_token},
                   {"Strm-Schema-Ref", f.schema},
                   {"Strm-Serialization-Type", "application/x-avro-binary"},
                   {"Content-Type", "application/octet-stream"}};
    req.body = body;
    auto res = transport.Send(req);
    if (!res.ok())
      return Unavailable("cannot reach " + url + ": " + std::string(TransportCause(res.status())));
    if (res->status != 204) {
      std::string answer = res->body;
      while (!answer.empty() && answer.back() == '\n') answer.pop_back();
      return Internal("the simulated event was answered " + std::to_string(res->status) +
                      " (expected 204): " + answer);
    }
    ++sent;
    const auto now = std::chrono::steady_clock::now();
    if (!f.quiet && now - last_report > std::chrono::seconds(5)) {
      std::cerr << "Sent " << sent << " events" << std::endl;
      last_report = now;
    }
    if (f.count == 0 || sent < f.count)
      std::this_thread::sleep_for(std::chrono::milliseconds(f.interval_ms));
  }
  if (!f.quiet) std::cerr << "Sent " << sent << " events" << std::endl;
  return Status::Ok();
}

}  // namespace

void AddSimulateEventsCommand(CLI::App& simulate, Context& ctx, int& exit_code) {
  auto f = std::make_shared<SimulateFlags>();
  auto* cmd = simulate.add_subcommand("random-events", "Send random demo events to a stream");
  cmd->add_option("stream", f->stream, "A source stream")->required();
  cmd->add_option("--interval", f->interval_ms, "Milliseconds between two events (default 1000)")
      ->check(WholeNumber(0, 3'600'000));
  cmd->add_option("--session-range", f->session_range, "Sessions to draw from (default 1000)")
      ->check(WholeNumber(1, 1'000'000'000));
  cmd->add_option("--session-prefix", f->session_prefix, "Session id prefix (default session)");
  cmd->add_option("--purposes", f->purposes,
                  "Consent levels to draw from, comma-separated, each 0/1/2 or empty "
                  "(default ,0,0/1,0/1/2,0/1/2/3)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--events-api-url", f->events_api_url,
                  "Where events go (default: the server's /event)");
  cmd->add_option("--schema", f->schema, "Schema ref (default strmprivacy/example/1.3.0)");
  cmd->add_flag("--quiet", f->quiet, "Print nothing");
  cmd->add_option("--count", f->count, "Stop after this many events (default: never)")
      ->check(WholeNumber(0, INT64_MAX));
  cmd->add_option("--client-id", f->client.client_id,
                  "A client of the stream (else: the API token)");
  cmd->add_option("--client-secret", f->client.client_secret, "That client's secret");
  Action(cmd, exit_code, [&ctx, f]() -> Status { return Simulate(ctx, *f); });
}

}  // namespace strm::cli
