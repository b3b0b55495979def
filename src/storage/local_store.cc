#include "storage/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>

namespace strm {
namespace {

namespace fs = std::filesystem;
constexpr size_t kWriteBuffer = 1 << 20;
constexpr size_t kDirectWrite = 64 << 10;  // pieces this large skip the buffer
// Written bytes are handed to the disk every this many (sync_file_range, which does not
// wait), so that Commit's fsync finds little left to write: a job's outputs are gigabytes,
// and the kernel would otherwise hold them dirty until the end.
constexpr off_t kWritebackEvery = 16 << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Status SymlinkRefused(const std::string& path) {
  return PermissionDenied(path +
                          " is a symbolic link: a local directory connector does not follow links");
}

// Makes a directory's entries (a rename, a new file, a new sub-directory) durable.
void SyncDirectory(int dir) { (void)::fsync(dir); }

class FileInput final : public InputStream {
 public:
  FileInput(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_.get(), buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return IoError("cannot read " + path_ + ": " + ErrnoText(errno));
    }
  }

 private:
  Fd fd_;
  std::string path_;
};

class FileOutput final : public OutputStream {
 public:
  // `fd` is the temporary file `tmp` in the directory `dir`; Commit renames it to `name`.
  FileOutput(Fd fd, Fd dir, std::string tmp, std::string name, std::string path, bool secret)
      : fd_(std::move(fd)),
        dir_(std::move(dir)),
        tmp_(std::move(tmp)),
        name_(std::move(name)),
        path_(std::move(path)),
        secret_(secret) {
    buf_.reserve(kWriteBuffer);
  }
  ~FileOutput() override { Abort(); }

  Status Write(std::string_view data) override {
    if (!fd_.valid()) return FailedPrecondition("write to a closed output " + path_);
    if (data.size() < kDirectWrite) {
      if (buf_.size() + data.size() > kWriteBuffer) STRM_RETURN_IF_ERROR(Flush());
      buf_.append(data);
      return Status::Ok();
    }
    // Large pieces (a batch job's blocks) are not copied: the buffer, then them, in one call.
    Status s = WriteFully(buf_, data);
    buf_.clear();
    return s;
  }

  Status Commit() override {
    if (!fd_.valid()) return FailedPrecondition("commit of a closed output " + path_);
    Status s = Flush();
    if (s.ok()) s = KeepMode();
    if (s.ok() && ::fsync(fd_.get()) != 0)
      s = IoError("cannot sync " + path_ + ": " + ErrnoText(errno));
    if (s.ok() && ::close(fd_.Release()) != 0)
      s = IoError("cannot close " + path_ + ": " + ErrnoText(errno));
    fd_.Reset();
    if (s.ok() && ::renameat(dir_.get(), tmp_.c_str(), dir_.get(), name_.c_str()) != 0)
      s = IoError("cannot rename the temporary file of " + path_ +
                  " to its name: " + ErrnoText(errno));
    if (!s.ok()) {
      ::unlinkat(dir_.get(), tmp_.c_str(), 0);
      aborted_ = true;
      return s;
    }
    committed_ = true;
    SyncDirectory(dir_.get());
    return Status::Ok();
  }

  void Abort() override {
    fd_.Reset();
    if (!committed_ && !aborted_) {
      ::unlinkat(dir_.get(), tmp_.c_str(), 0);
      aborted_ = true;
    }
  }

 private:
  // A replaced file's mode carries over (an operator who narrowed it keeps it narrow); a
  // secret file is created 0600 and never widened by what it replaces.
  Status KeepMode() {
    struct stat old;
    if (::fstatat(dir_.get(), name_.c_str(), &old, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(old.st_mode))
      return Status::Ok();
    mode_t mode = old.st_mode & 0777;
    if (secret_) mode &= 0600;
    if (::fchmod(fd_.get(), mode) != 0)
      return IoError("cannot set the mode of " + path_ + ": " + ErrnoText(errno));
    return Status::Ok();
  }

  Status Flush() {
    Status s = WriteFully(buf_, {});
    buf_.clear();
    return s;
  }
  // `first`, then `second`, whatever the sizes of the partial writes.
  Status WriteFully(std::string_view first, std::string_view second) {
    while (!first.empty() || !second.empty()) {
      iovec parts[2] = {{const_cast<char*>(first.data()), first.size()},
                        {const_cast<char*>(second.data()), second.size()}};
      const int n = first.empty() ? 1 : 2;
      ssize_t w = ::writev(fd_.get(), first.empty() ? parts + 1 : parts, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return IoError("cannot write " + path_ + ": " + ErrnoText(errno));
      }
      written_ += w;
      size_t done = static_cast<size_t>(w);
      const size_t from_first = std::min(done, first.size());
      first.remove_prefix(from_first);
      second.remove_prefix(done - from_first);
    }
    if (written_ - writeback_from_ >= kWritebackEvery) {
      // Best effort: an error here shows again, and is reported, at Commit's fsync.
      (void)::sync_file_range(fd_.get(), writeback_from_, written_ - writeback_from_,
                              SYNC_FILE_RANGE_WRITE);
      writeback_from_ = written_;
    }
    return Status::Ok();
  }

  Fd fd_, dir_;
  std::string tmp_, name_, path_;
  bool secret_;
  std::string buf_;
  off_t written_ = 0;         // bytes written to fd_
  off_t writeback_from_ = 0;  // bytes before this have been handed to the disk
  bool committed_ = false, aborted_ = false;
};

// The segments of a key ("a/b/c.csv" -> a, b, c.csv); empty segments are refused.
Result<std::vector<std::string_view>> Segments(std::string_view key) {
  STRM_RETURN_IF_ERROR(ValidateObjectKey(key));
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t end = key.find('/', start);
    std::string_view seg =
        key.substr(start, end == std::string_view::npos ? key.npos : end - start);
    if (seg.empty())
      return InvalidArgument("object name '" + std::string(key) + "' has an empty segment");
    out.push_back(seg);
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// A file's directory, opened inside the jail, and its name there.
struct Located {
  Fd dir;
  std::string name;
};

class LocalStore final : public ObjectStore {
 public:
  LocalStore(fs::path root, Fd root_fd) : root_(std::move(root)), root_fd_(std::move(root_fd)) {}

  std::string Describe() const override { return "local directory " + root_.string(); }

  std::string ObjectUri(std::string_view key) const override {
    return "file://" + JoinKey(root_.string(), key);
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    // Walk only the directories that can hold keys under the prefix.
    const size_t slash = prefix.rfind('/');
    std::deque<std::string> dirs{
        std::string(prefix.substr(0, slash == std::string_view::npos ? 0 : slash))};
    std::vector<ObjectInfo> out;
    while (!dirs.empty()) {
      const std::string dir_key = std::move(dirs.front());
      dirs.pop_front();
      auto opened = OpenDirectory(dir_key, /*create=*/false);
      if (opened.status().code() == StatusCode::kNotFound) continue;
      STRM_RETURN_IF_ERROR(opened.status());
      const std::string dir_path = PathOf(dir_key);
      DIR* d = ::fdopendir(opened->get());
      if (d == nullptr) return IoError("cannot list " + dir_path + ": " + ErrnoText(errno));
      const int dfd = opened->Release();  // owned by `d` now
      Status failure;
      errno = 0;
      while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        const std::string key = dir_key.empty() ? std::string(name) : JoinKey(dir_key, name);
        struct stat st;
        if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
        if (S_ISDIR(st.st_mode)) {
          const std::string as_dir = key + '/';
          if (as_dir.starts_with(prefix) || prefix.starts_with(as_dir)) dirs.push_back(key);
        } else if (S_ISREG(st.st_mode) && !IsTemporaryKey(name) && key.starts_with(prefix)) {
          out.push_back({key, static_cast<uint64_t>(st.st_size)});
        }  // links, FIFOs, sockets and devices are not objects
        errno = 0;
      }
      if (errno != 0) failure = IoError("cannot list " + dir_path + ": " + ErrnoText(errno));
      ::closedir(d);
      STRM_RETURN_IF_ERROR(failure);
    }
    SortByKey(out);
    return out;
  }

  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    STRM_ASSIGN_OR_RETURN(Located at, Locate(key, /*create=*/false));
    const std::string path = PathOf(key);
    // O_NONBLOCK: opening a FIFO for reading would wait for a writer.
    Fd fd(::openat(at.dir.get(), at.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) return OpenError(errno, at, path);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
      return IoError("cannot open " + path + ": " + ErrnoText(errno));
    if (S_ISDIR(st.st_mode)) return InvalidArgument(path + " is a directory, not a file");
    if (!S_ISREG(st.st_mode)) return InvalidArgument(path + " is not a regular file");
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<InputStream>(new FileInput(std::move(fd), path));
  }

  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions& options) override {
    STRM_ASSIGN_OR_RETURN(Located at, Locate(key, /*create=*/true));
    const std::string path = PathOf(key);
    std::string tmp = TemporaryKey(at.name);
    Fd fd(::openat(at.dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   options.secret ? 0600 : 0644));
    if (!fd.valid())
      return IoError("cannot create a temporary file for " + path + ": " + ErrnoText(errno));
    return std::unique_ptr<OutputStream>(new FileOutput(std::move(fd), std::move(at.dir),
                                                        std::move(tmp), std::move(at.name), path,
                                                        options.secret));
  }

  Status Copy(std::string_view from, std::string_view to) override {
    STRM_ASSIGN_OR_RETURN(Located src, Locate(from, /*create=*/false));
    const std::string from_path = PathOf(from);
    struct stat st;
    if (::fstatat(src.dir.get(), src.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return OpenError(errno, src, from_path);
    if (S_ISLNK(st.st_mode)) return SymlinkRefused(from_path);
    if (!S_ISREG(st.st_mode)) return InvalidArgument(from_path + " is not a regular file");
    STRM_ASSIGN_OR_RETURN(Located dst, Locate(to, /*create=*/true));
    const std::string tmp = TemporaryKey(dst.name);
    if (::linkat(src.dir.get(), src.name.c_str(), dst.dir.get(), tmp.c_str(), 0) != 0) {
      // A hard link can be refused (another file system under the root, a link count at
      // its limit, protected_hardlinks): copy the bytes instead.
      STRM_RETURN_IF_ERROR(CopyBytes(src, from_path, dst, tmp, st.st_mode & 0777));
    }
    if (::renameat(dst.dir.get(), tmp.c_str(), dst.dir.get(), dst.name.c_str()) != 0) {
      const int err = errno;
      ::unlinkat(dst.dir.get(), tmp.c_str(), 0);
      return IoError("cannot copy " + from_path + " to " + PathOf(to) + ": " + ErrnoText(err));
    }
    // When `to` already was a link to the same file (a copy put back where it came from),
    // rename does nothing and leaves `tmp`, a name of ours alone.
    ::unlinkat(dst.dir.get(), tmp.c_str(), 0);
    SyncDirectory(dst.dir.get());
    return Status::Ok();
  }

  Status Delete(std::string_view key) override {
    auto at = Locate(key, /*create=*/false);
    if (at.status().code() == StatusCode::kNotFound) return Status::Ok();
    STRM_RETURN_IF_ERROR(at.status());
    if (::unlinkat(at->dir.get(), at->name.c_str(), 0) != 0 && errno != ENOENT)
      return IoError("cannot delete " + PathOf(key) + ": " + ErrnoText(errno));
    return Status::Ok();
  }

 private:
  std::string PathOf(std::string_view key) const { return JoinKey(root_.string(), key); }

  Status OpenError(int err, const Located& at, const std::string& path) const {
    if (err == ENOENT) return NotFound("file " + path + " does not exist");
    struct stat st;
    if (err == ELOOP || (::fstatat(at.dir.get(), at.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                         S_ISLNK(st.st_mode)))
      return SymlinkRefused(path);
    return IoError("cannot open " + path + ": " + ErrnoText(err));
  }

  // Opens the directory `dir_key` ("" is the root) one segment at a time, never following a
  // link; `create` makes the missing ones. NotFound when one is missing and not created.
  Result<Fd> OpenDirectory(std::string_view dir_key, bool create) const {
    // A fresh open, not a dup: a dup would share the directory's read position with others.
    Fd cur(::openat(root_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cur.valid()) return IoError("cannot open " + root_.string() + ": " + ErrnoText(errno));
    if (dir_key.empty()) return cur;
    STRM_ASSIGN_OR_RETURN(auto segments, Segments(dir_key));
    std::string walked;
    for (std::string_view seg : segments) {
      walked = walked.empty() ? std::string(seg) : JoinKey(walked, seg);
      const std::string name(seg);
      for (int attempt = 0;; ++attempt) {
        Fd next(::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (next.valid()) {
          cur = std::move(next);
          break;
        }
        const int err = errno;
        struct stat st;
        const bool exists = ::fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && S_ISLNK(st.st_mode)) return SymlinkRefused(PathOf(walked));
        if (exists && !S_ISDIR(st.st_mode))
          return InvalidArgument(PathOf(walked) + " is a file, not a directory");
        if (err != ENOENT || attempt > 0)
          return IoError("cannot open directory " + PathOf(walked) + ": " + ErrnoText(err));
        if (!create) return NotFound("directory " + PathOf(walked) + " does not exist");
        if (::mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
          return IoError("cannot create directory " + PathOf(walked) + ": " + ErrnoText(errno));
        SyncDirectory(cur.get());
      }
    }
    return cur;
  }

  Result<Located> Locate(std::string_view key, bool create) const {
    STRM_ASSIGN_OR_RETURN(auto segments, Segments(key));
    const size_t slash = key.rfind('/');
    std::string_view dir = slash == std::string_view::npos ? "" : key.substr(0, slash);
    STRM_ASSIGN_OR_RETURN(Fd fd, OpenDirectory(dir, create));
    return Located{std::move(fd), std::string(segments.back())};
  }

  Status CopyBytes(const Located& src, const std::string& from_path, const Located& dst,
                   const std::string& tmp, mode_t mode) const {
    Fd in(::openat(src.dir.get(), src.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in.valid()) return OpenError(errno, src, from_path);
    Fd out(::openat(dst.dir.get(), tmp.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!out.valid()) return IoError("cannot copy " + from_path + ": " + ErrnoText(errno));
    std::string buf(1 << 20, '\0');
    Status s;
    for (;;) {
      ssize_t r = ::read(in.get(), buf.data(), buf.size());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        s = IoError("cannot read " + from_path + ": " + ErrnoText(errno));
        break;
      }
      if (r == 0) break;
      for (ssize_t done = 0; done < r && s.ok();) {
        ssize_t w = ::write(out.get(), buf.data() + done, static_cast<size_t>(r - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          s = IoError("cannot copy " + from_path + ": " + ErrnoText(errno));
          break;
        }
        done += w;
      }
      if (!s.ok()) break;
    }
    if (s.ok() && ::fsync(out.get()) != 0)
      s = IoError("cannot copy " + from_path + ": " + ErrnoText(errno));
    if (!s.ok()) ::unlinkat(dst.dir.get(), tmp.c_str(), 0);
    return s;
  }

  fs::path root_;
  Fd root_fd_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenLocalStore(const std::string& root) {
  if (root.empty()) return InvalidArgument("a local directory path must not be empty");
  std::error_code ec;
  fs::path abs = fs::absolute(root, ec);
  if (ec) return InvalidArgument("invalid path '" + root + "': " + ec.message());
  fs::create_directories(abs, ec);
  if (ec) return IoError("cannot create directory " + abs.string() + ": " + ec.message());
  // The directory's own path is resolved once: links in it are the operator's choice.
  fs::path real = fs::canonical(abs, ec);
  if (ec) return IoError("cannot resolve " + abs.string() + ": " + ec.message());
  Fd fd(::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOTDIR) return InvalidArgument(abs.string() + " is not a directory");
    return IoError("cannot open " + abs.string() + ": " + ErrnoText(errno));
  }
  return std::unique_ptr<ObjectStore>(new LocalStore(std::move(real), std::move(fd)));
}

}  // namespace strm
