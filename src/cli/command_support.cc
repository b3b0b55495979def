#include "cli/command_support.h"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "platform/remote_platform.h"

namespace strm::cli {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_signal{0};  // the signal that cancelled, for the exit code

void OnInterrupt(int sig) {
  g_signal.store(sig);
  g_cancel.store(true);
}

}  // namespace

Result<std::string> ReadApiToken(const std::string& file) {
  if (const char* t = std::getenv("STRM_API_TOKEN"); t && *t) return std::string(t);
  if (file.empty())
    return InvalidArgument(
        "no API token for the server: set STRM_API_TOKEN or --api-token-file (a server writes "
        "its first token to $STRM_HOME/api-token)");
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token))
    return NotFound("cannot read the API token file '" + file + "'");
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

Result<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + std::string(what) + " file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string StrmHome() {
  if (const char* h = std::getenv("STRM_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.strm";
}

Result<Platform*> Context::Get() {
  if (!platform && remote()) {
    STRM_ASSIGN_OR_RETURN(std::string token, ReadApiToken(api_token_file));
    STRM_ASSIGN_OR_RETURN(platform, OpenRemotePlatform({api_url, token, nullptr}));
  }
  if (!platform) {
    STRM_ASSIGN_OR_RETURN(platform, OpenLocalPlatform(StrmHome()));
  }
  return platform.get();
}

Result<OutputFormat> Context::Format() const { return ParseOutputFormat(output, ::isatty(1)); }

const std::atomic<bool>& CancelRequested() { return g_cancel; }

void CatchInterrupts() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int Fail(const Status& s) {
  std::string m = s.message();
  if (!m.empty() && m.back() != '.') m += '.';
  std::cerr << "Error: " << m << '\n';
  if (s.code() == StatusCode::kCancelled && g_signal.load() != 0) return 128 + g_signal.load();
  return 1;
}

Status PrintEntity(Context& ctx, const nlohmann::json& json, const Table& table) {
  STRM_ASSIGN_OR_RETURN(OutputFormat f, ctx.Format());
  if (f == OutputFormat::kJson) {
    std::cout << json.dump(2) << '\n';
  } else {
    PrintTable(std::cout, table, f);
  }
  return Status::Ok();
}

CLI::Validator WholeNumber(uint64_t min, uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == text.npos;
        if (!digits || ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
          return "must be a whole number from " + std::to_string(min) + " to " +
                 std::to_string(max) + ", got '" + text + "'";
        return {};
      },
      "", "WholeNumber");
}

void AddOutputFlag(CLI::App* cmd, Context& ctx) {
  cmd->add_option("-o,--output", ctx.output, "Output format: json, table or plain");
}

}  // namespace strm::cli
