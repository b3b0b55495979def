// Shell completion scripts for `strm completion bash|zsh`, generated from the command tree
// itself, so that they never fall behind the commands. The bash script completes commands
// and each command's flags; zsh loads the same through bashcompinit.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "core/result.h"

namespace strm::cli {

// "bash" or "zsh"; InvalidArgument for another shell.
Result<std::string> CompletionScript(const CLI::App& app, const std::string& shell);

}  // namespace strm::cli
