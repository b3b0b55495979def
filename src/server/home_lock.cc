#include "server/home_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace strm::server {

Result<std::unique_ptr<HomeLock>> HomeLock::Acquire(const std::string& home) {
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  const std::string path = home + "/server.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[256] = {};
    const ssize_t n = ::pread(fd, holder, sizeof(holder) - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "another process";
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    return FailedPrecondition("another strm server runs on " + home + " (" + who +
                              "); stop it first, or give this one another STRM_HOME");
  }
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  const std::string me = "pid " + std::to_string(::getpid()) + " on " + host + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The lock holds all the same; only the next server's message is less precise.
  }
  return std::unique_ptr<HomeLock>(new HomeLock(fd));
}

HomeLock::~HomeLock() { ::close(fd_); }

}  // namespace strm::server
