#include "storage/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/bytes.h"

namespace strm {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kTempMarker = ".strm-tmp-";
constexpr size_t kWriteBuffer = 1 << 20;
constexpr size_t kDirectWrite = 64 << 10;  // pieces this large skip the buffer
// Written bytes are handed to the disk every this many (sync_file_range, which does not
// wait), so that Commit's fsync finds little left to write: a job's outputs are gigabytes,
// and the kernel would otherwise hold them dirty until the end.
constexpr off_t kWritebackEvery = 16 << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

class FileInput final : public InputStream {
 public:
  FileInput(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileInput() override { ::close(fd_); }
  Result<size_t> Read(char* buf, size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return IoError("cannot read " + path_ + ": " + ErrnoText(errno));
    }
  }

 private:
  int fd_;
  std::string path_;
};

class FileOutput final : public OutputStream {
 public:
  FileOutput(int fd, std::string tmp, std::string final_path)
      : fd_(fd), tmp_(std::move(tmp)), final_(std::move(final_path)) {
    buf_.reserve(kWriteBuffer);
  }
  ~FileOutput() override { Abort(); }

  Status Write(std::string_view data) override {
    if (fd_ < 0) return FailedPrecondition("write to a closed output " + final_);
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
    if (fd_ < 0) return FailedPrecondition("commit of a closed output " + final_);
    Status s = Flush();
    if (s.ok() && ::fsync(fd_) != 0) s = IoError("cannot sync " + tmp_ + ": " + ErrnoText(errno));
    if (s.ok() && ::close(fd_) != 0) s = IoError("cannot close " + tmp_ + ": " + ErrnoText(errno));
    fd_ = -1;
    if (s.ok() && ::rename(tmp_.c_str(), final_.c_str()) != 0)
      s = IoError("cannot rename " + tmp_ + " to " + final_ + ": " + ErrnoText(errno));
    if (!s.ok()) {
      ::unlink(tmp_.c_str());
      return s;
    }
    committed_ = true;
    // Make the rename itself durable.
    int dir = ::open(fs::path(final_).parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
    return Status::Ok();
  }

  void Abort() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!committed_ && !aborted_) {
      ::unlink(tmp_.c_str());
      aborted_ = true;
    }
  }

 private:
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
      ssize_t w = ::writev(fd_, first.empty() ? parts + 1 : parts, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return IoError("cannot write " + final_ + ": " + ErrnoText(errno));
      }
      written_ += w;
      size_t done = static_cast<size_t>(w);
      const size_t from_first = std::min(done, first.size());
      first.remove_prefix(from_first);
      second.remove_prefix(done - from_first);
    }
    if (written_ - writeback_from_ >= kWritebackEvery) {
      // Best effort: an error here shows again, and is reported, at Commit's fsync.
      (void)::sync_file_range(fd_, writeback_from_, written_ - writeback_from_,
                              SYNC_FILE_RANGE_WRITE);
      writeback_from_ = written_;
    }
    return Status::Ok();
  }

  int fd_;
  std::string tmp_, final_;
  std::string buf_;
  off_t written_ = 0;         // bytes written to fd_
  off_t writeback_from_ = 0;  // bytes before this have been handed to the disk
  bool committed_ = false, aborted_ = false;
};

class LocalStore final : public ObjectStore {
 public:
  explicit LocalStore(fs::path root) : root_(std::move(root)) {}

  std::string Describe() const override { return "local directory " + root_.string(); }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    std::vector<ObjectInfo> out;
    std::error_code ec;
    // Walk only the directory that holds the prefix, not the whole root.
    std::string_view dir_part =
        prefix.substr(0, prefix.rfind('/') == std::string_view::npos ? 0 : prefix.rfind('/'));
    fs::path start = dir_part.empty() ? root_ : root_ / std::string(dir_part);
    if (!fs::is_directory(start, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(start, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      if (IsLocalTempName(it->path().filename().string())) continue;
      std::string key = it->path().lexically_relative(root_).generic_string();
      if (key.compare(0, prefix.size(), prefix) != 0) continue;
      out.push_back({key, static_cast<uint64_t>(it->file_size(ec))});
    }
    if (ec) return IoError("cannot list " + start.string() + ": " + ec.message());
    SortByKey(out);
    return out;
  }

  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    STRM_RETURN_IF_ERROR(ValidateObjectKey(key));
    std::string path = (root_ / std::string(key)).string();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT) return NotFound("file " + path + " does not exist");
      return IoError("cannot open " + path + ": " + ErrnoText(err));
    }
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      return InvalidArgument(path + " is a directory, not a file");
    }
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<InputStream>(new FileInput(fd, path));
  }

  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key) override {
    STRM_RETURN_IF_ERROR(ValidateObjectKey(key));
    fs::path final_path = root_ / std::string(key);
    std::error_code ec;
    fs::create_directories(final_path.parent_path(), ec);
    if (ec)
      return IoError("cannot create directory " + final_path.parent_path().string() + ": " +
                     ec.message());
    std::string tmp = (final_path.parent_path() / ("." + final_path.filename().string() +
                                                   std::string(kTempMarker) + NewUuidV4()))
                          .string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return IoError("cannot create " + tmp + ": " + ErrnoText(errno));
    return std::unique_ptr<OutputStream>(new FileOutput(fd, tmp, final_path.string()));
  }

  Status Delete(std::string_view key) override {
    STRM_RETURN_IF_ERROR(ValidateObjectKey(key));
    std::string path = (root_ / std::string(key)).string();
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return IoError("cannot delete " + path + ": " + ErrnoText(errno));
    return Status::Ok();
  }

 private:
  fs::path root_;
};

}  // namespace

bool IsLocalTempName(std::string_view file_name) {
  return !file_name.empty() && file_name.front() == '.' &&
         file_name.find(kTempMarker) != std::string_view::npos;
}

Result<std::unique_ptr<ObjectStore>> OpenLocalStore(const std::string& root) {
  if (root.empty()) return InvalidArgument("a local directory path must not be empty");
  std::error_code ec;
  fs::path abs = fs::absolute(root, ec);
  if (ec) return InvalidArgument("invalid path '" + root + "': " + ec.message());
  fs::create_directories(abs, ec);
  if (ec) return IoError("cannot create directory " + abs.string() + ": " + ec.message());
  if (!fs::is_directory(abs, ec)) return InvalidArgument(abs.string() + " is not a directory");
  return std::unique_ptr<ObjectStore>(new LocalStore(abs.lexically_normal()));
}

}  // namespace strm
