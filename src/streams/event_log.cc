#include "streams/event_log.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace strm {

Status ValidateLogName(std::string_view what, std::string_view name) {
  const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (name.empty() || name.size() > 200 || !chars_ok || name == "." || name == "..")
    return InvalidArgument(std::string(what) + " name '" + std::string(name) +
                           "' must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
  return Status::Ok();
}

Result<uint64_t> AppendAndWait(EventLog& log, std::string_view topic, int partition,
                               std::vector<LogRecord> records) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<uint64_t>> result;
  log.Append(topic, partition, std::move(records), [&](Result<uint64_t> r) {
    std::lock_guard lock(mu);
    result.emplace(std::move(r));
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return result.has_value(); });
  return std::move(*result);
}

}  // namespace strm
