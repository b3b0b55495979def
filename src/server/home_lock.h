// One server per $STRM_HOME: an exclusive flock on `<home>/server.lock`, which names the holder
// (pid and host) for the message a second server gets. The kernel drops the lock when the
// process ends, however it ends (kill -9 too), so a stale file never blocks a restart.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"

namespace strm::server {

class HomeLock {
 public:
  // FailedPrecondition naming the holder if another process holds it.
  static Result<std::unique_ptr<HomeLock>> Acquire(const std::string& home);
  ~HomeLock();
  HomeLock(const HomeLock&) = delete;
  HomeLock& operator=(const HomeLock&) = delete;

 private:
  explicit HomeLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace strm::server
