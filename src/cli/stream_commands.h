// The stream commands (SPEC §3): `strm create|get|list|delete stream(s)` and `strm get|list
// key-stream(s)`, added under the verbs that cli.cc made.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_support.h"

namespace strm::cli {

// `app` must have its create, get, list and delete subcommands already.
void AddStreamCommands(CLI::App& app, Context& ctx, int& exit_code);

}  // namespace strm::cli
