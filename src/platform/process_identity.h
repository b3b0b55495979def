// Which process runs a job, so that a job whose process died (kill -9, out of memory, a power
// cut) is not shown as RUNNING forever: host name, pid, and the process's start time (which
// tells a reused pid apart). Linux /proc based.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace strm {

struct ProcessIdentity {
  std::string host;
  int64_t pid = 0;
  uint64_t start_ticks = 0;  // field 22 of /proc/<pid>/stat

  nlohmann::json ToJson() const;
  static ProcessIdentity FromJson(const nlohmann::json& j);  // empty host if absent
};

// This process.
ProcessIdentity CurrentProcess();

// False only when `p` ran on this host and that process no longer exists (its pid is gone
// or now belongs to a process started at another time). Processes of other hosts are
// assumed alive: this host cannot tell.
bool MayBeAlive(const ProcessIdentity& p);

}  // namespace strm
