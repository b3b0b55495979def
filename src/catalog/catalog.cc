#include "catalog/catalog.h"

#include <date/date.h>

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

int64_t DefaultKeyExpiry(int64_t day) {
  using namespace date;
  year_month_day ymd{sys_days{days{day}}};
  year_month_day later = year{int(ymd.year()) + 7} / ymd.month() / ymd.day();
  if (!later.ok()) later = later.year() / later.month() / last;  // Feb 29 -> Feb 28
  return sys_days{later}.time_since_epoch().count() * int64_t{86400000};
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string DataKey::KeyLinkText() const { return UuidText(key_link); }

DataKey NewDataKey(std::span<const uint8_t, kNewKeyRandomBytes> random, int64_t day) {
  DataKey key;
  key.keyset = TinkKeysetFromRandom(random.first<68>());
  std::memcpy(key.key_link.data(), random.data() + 68, 16);
  key.key_link[6] = (key.key_link[6] & 0x0f) | 0x40;  // version 4
  key.key_link[8] = (key.key_link[8] & 0x3f) | 0x80;  // RFC 4122 variant
  key.expires_at = DefaultKeyExpiry(day);
  return key;
}

}  // namespace strm
