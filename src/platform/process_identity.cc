#include "platform/process_identity.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace strm {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// 0 when the process does not exist.
uint64_t StartTicks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  // The command name (field 2) is in parentheses and may hold spaces: skip past its end.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i < 22 && rest >> field; ++i) {
  }
  uint64_t ticks = 0;
  rest >> ticks;
  return ticks;
}

}  // namespace

nlohmann::json ProcessIdentity::ToJson() const {
  return {{"host", host}, {"pid", pid}, {"start_ticks", start_ticks}};
}

ProcessIdentity ProcessIdentity::FromJson(const nlohmann::json& j) {
  ProcessIdentity p;
  if (!j.is_object()) return p;
  p.host = j.value("host", "");
  p.pid = j.value("pid", int64_t{0});
  p.start_ticks = j.value("start_ticks", uint64_t{0});
  return p;
}

ProcessIdentity CurrentProcess() {
  ProcessIdentity p;
  p.host = HostName();
  p.pid = ::getpid();
  p.start_ticks = StartTicks(p.pid);
  return p;
}

bool MayBeAlive(const ProcessIdentity& p) {
  if (p.host.empty() || p.host != HostName() || p.pid <= 0) return true;
  uint64_t ticks = StartTicks(p.pid);
  return ticks != 0 && ticks == p.start_ticks;
}

}  // namespace strm
