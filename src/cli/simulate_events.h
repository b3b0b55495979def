// `strm simulate random-events STREAM` (SPEC §3), as STRM's CLI does it: random demo events of
// the built-in contract strmprivacy/example/1.3.0, one every --interval ms, each a session id
// `<prefix>-<0..range-1>` and consent levels drawn from --purposes, sent as Avro binary to
// POST /event with the stream's access token (cli/stream_client.h), through the same HTTP API
// as any client. Runs until Ctrl-C, or --count events (strm's addition, for scripts).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_support.h"

namespace strm::cli {

void AddSimulateEventsCommand(CLI::App& simulate, Context& ctx, int& exit_code);

}  // namespace strm::cli
