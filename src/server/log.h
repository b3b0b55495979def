// The server's structured log on stderr: one line per event (a request, a job's transition, a
// start or a stop), as JSON or as `key=value` text. Callers pass only what may be shown: never
// a secret, a token, or a value of a data field (which may be personal data). Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace strm::server {

enum class LogFormat { kText, kJson };
Result<LogFormat> ParseLogFormat(std::string_view name);  // "text" or "json"

class Log {
 public:
  explicit Log(LogFormat format, std::FILE* out = stderr) : format_(format), out_(out) {}
  // {"time": ..., "event": event, ...fields} in that order: fields is a JSON object.
  void Write(std::string_view event, const nlohmann::ordered_json& fields);

 private:
  const LogFormat format_;
  std::FILE* out_;
  std::mutex mu_;
};

}  // namespace strm::server
