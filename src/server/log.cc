#include "server/log.h"

#include <date/date.h>

#include <chrono>
#include <cstdio>

namespace strm::server {
namespace {

std::string Now() {
  return date::format("%FT%TZ", std::chrono::time_point_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now()));
}

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return InvalidArgument("--log-format must be json or text, got '" + std::string(name) + "'");
}

void Log::Write(std::string_view event, const nlohmann::ordered_json& fields) {
  std::string line;
  if (format_ == LogFormat::kJson) {
    nlohmann::ordered_json j = {{"time", Now()}, {"event", event}};
    j.update(fields);
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = Now() + " " + std::string(event);
    for (const auto& [k, v] : fields.items())
      line += " " + k + "=" +
              (v.is_string() ? v.get<std::string>()
                             : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  line += '\n';
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace strm::server
