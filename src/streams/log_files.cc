#include "streams/log_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/crc32c.h"

namespace strm::log_files {
namespace fs = std::filesystem;

void PutU32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
void PutU64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
uint64_t GetBE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Status Errno(const std::string& what, const std::string& path) {
  return IoError("cannot " + what + " " + path + ": " + std::strerror(errno));
}

std::string SegmentName(uint64_t base) {
  std::string digits = std::to_string(base);
  return std::string(20 - digits.size(), '0') + digits + ".seg";
}

Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  const int r = ::fsync(fd);
  ::close(fd);
  return r == 0 ? Status::Ok() : Errno("sync", path);
}

// Reads exactly `n` bytes at `pos`; fewer only at the end of the file.
Result<std::string> ReadAt(int fd, uint64_t pos, size_t n, const std::string& path) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(pos + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Errno("read", path);
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

Status WriteAll(int fd, std::string_view data, uint64_t pos, const std::string& path) {
  while (!data.empty()) {
    const ssize_t r = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(pos));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Errno("write", path);
    data.remove_prefix(static_cast<size_t>(r));
    pos += static_cast<uint64_t>(r);
  }
  return Status::Ok();
}

// Writes `text` to `path` atomically and durably: a temporary, synced, renamed, the directory
// synced.
Status ReplaceFile(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", tmp);
  Status s = WriteAll(fd, text, 0, tmp);
  if (s.ok() && ::fdatasync(fd) != 0) s = Errno("sync", tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Errno("rename", tmp);
  if (s.ok()) s = SyncPath(fs::path(path).parent_path().string());
  return s;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Result<uint64_t> ParseNumber(std::string_view text, const std::string& path) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return IoError(path + " does not hold a number");
  return v;
}

// The batch at `pos` of a segment `size` bytes long; nullopt when the bytes there are not a
// whole, intact batch whose first offset is `expect_base` (when given).
Result<std::optional<Batch>> ReadBatch(int fd, uint64_t pos, uint64_t size, const std::string& path,
                                       std::optional<uint64_t> expect_base, bool with_records) {
  if (pos + kBatchHeader > size) return std::optional<Batch>();
  STRM_ASSIGN_OR_RETURN(std::string head, ReadAt(fd, pos, kBatchHeader, path));
  if (head.size() < kBatchHeader) return std::optional<Batch>();
  const uint64_t length = GetBE(head.data(), 4);
  if (length < kBatchHeader - 4 || pos + 4 + length > size) return std::optional<Batch>();
  STRM_ASSIGN_OR_RETURN(std::string body, ReadAt(fd, pos + 8, length - 4, path));
  if (body.size() != length - 4) return std::optional<Batch>();
  if (Crc32c(body) != GetBE(head.data() + 4, 4)) return std::optional<Batch>();
  Batch b;
  b.base = GetBE(body.data(), 8);
  const uint64_t count = GetBE(body.data() + 8, 4);
  b.time = static_cast<int64_t>(GetBE(body.data() + 12, 8));
  b.bytes = 4 + length;
  if (count == 0 || (expect_base && b.base != *expect_base)) return std::optional<Batch>();
  size_t at = 20;
  for (uint64_t i = 0; i < count; ++i) {
    StoredRecord r;
    r.offset = b.base + i;
    r.append_time = b.time;
    for (std::string* field : {&r.record.key, &r.record.value}) {
      if (at + 4 > body.size()) return std::optional<Batch>();
      const uint64_t n = GetBE(body.data() + at, 4);
      at += 4;
      if (at + n > body.size()) return std::optional<Batch>();
      if (with_records) field->assign(body, at, n);
      at += n;
    }
    if (with_records) b.records.push_back(std::move(r));
  }
  if (at != body.size()) return std::optional<Batch>();
  if (!with_records) b.records.resize(count);  // only the count is wanted
  return std::optional<Batch>(std::move(b));
}

}  // namespace strm::log_files
