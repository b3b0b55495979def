#include "catalog/catalog.h"

#include <chrono>
#include <cstring>
#include <iterator>

#include "core/bytes.h"

namespace strm {
namespace {

constexpr const char* kStateNames[] = {"PENDING",        "STARTED", "RUNNING",  "FINISHED",
                                       "ERROR_STARTING", "ERROR",   "CANCELLED"};

}  // namespace

std::string_view JobStateName(JobState s) { return kStateNames[static_cast<int>(s)]; }

bool IsFinal(JobState s) {
  return s == JobState::kFinished || s == JobState::kErrorStarting || s == JobState::kError ||
         s == JobState::kCancelled;
}

Result<JobState> ParseJobState(std::string_view name) {
  for (size_t i = 0; i < std::size(kStateNames); ++i)
    if (name == kStateNames[i]) return static_cast<JobState>(i);
  return InvalidArgument("unknown batch job state '" + std::string(name) + "'");
}

namespace {
constexpr std::string_view kFileStateNames[] = {"NEW", "PROCESSING", "DONE", "FAILED"};
}  // namespace

std::string_view JobFileStateName(JobFileState s) { return kFileStateNames[static_cast<int>(s)]; }

Result<JobFileState> ParseJobFileState(std::string_view name) {
  for (size_t i = 0; i < std::size(kFileStateNames); ++i)
    if (name == kFileStateNames[i]) return static_cast<JobFileState>(i);
  return InvalidArgument("unknown batch job file state '" + std::string(name) + "'");
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace strm
