// The server's commands: `strm serve` (server/serve.h) and `strm serve token
// create|revoke|list`, which manage its API tokens on the catalog of $STRM_HOME.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_support.h"

namespace strm::cli {

void AddServeCommands(CLI::App& app, Context& ctx, int& exit_code);

}  // namespace strm::cli
