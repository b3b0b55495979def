// What every strm command shares (cli.cc and serve_commands.cc): the platform a command talks
// to (a server's with --api-url or STRM_API_URL, else the embedded one in $STRM_HOME), the
// output format, how a command's Status becomes its exit code and message, Ctrl-C, and the
// flag checks. Internal to the CLI.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "core/result.h"
#include "platform/platform.h"

namespace strm::cli {

std::string StrmHome();  // $STRM_HOME, else ~/.strm
// The whole file; NotFound "cannot read <what> file '<path>'".
Result<std::string> ReadFile(const std::string& path, std::string_view what);

// The API token for a server: STRM_API_TOKEN, else the first line of `file`.
Result<std::string> ReadApiToken(const std::string& file);

struct Context {
  std::string output;          // -o
  std::string api_url;         // --api-url, or STRM_API_URL
  std::string api_token_file;  // --api-token-file
  std::unique_ptr<Platform> platform;

  bool remote() const { return !api_url.empty(); }
  // A server's platform with --api-url or STRM_API_URL (its token from STRM_API_TOKEN or
  // --api-token-file), else the embedded one in $STRM_HOME; opened once.
  Result<Platform*> Get();
  Result<OutputFormat> Format() const;
};

// Set by SIGINT/SIGTERM once CatchInterrupts ran: a running job stops cleanly. The handler
// resets itself, so a second Ctrl-C ends the process at once.
const std::atomic<bool>& CancelRequested();
void CatchInterrupts();

// Prints "Error: <message>." on stderr; the exit code is 1, or 128 + the signal (130 for
// SIGINT, 143 for SIGTERM) for a run that a signal cancelled, as shells report it.
int Fail(const Status& s);

// Runs `body` as the command's callback; turns its Status into the exit code.
template <typename F>
void Action(CLI::App* cmd, int& exit_code, F body) {
  cmd->callback([&exit_code, body] {
    Status s = body();
    exit_code = s.ok() ? 0 : Fail(s);
  });
}

// `json` with -o json, else `table` as -o says.
Status PrintEntity(Context& ctx, const nlohmann::json& json, const Table& table);

// A whole number from `min` to `max`, written in decimal digits: CLI11 alone would read "-1"
// into an unsigned count as 2^64 - 1, and "1e3" or "2.5" as numbers.
CLI::Validator WholeNumber(uint64_t min, uint64_t max);

void AddOutputFlag(CLI::App* cmd, Context& ctx);  // -o, --output

}  // namespace strm::cli
