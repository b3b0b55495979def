// The embedded log's pieces on disk (docs/formats.md, "The embedded event log"): big-endian
// integers, file I/O whose errors name the file, and the batch format read back. Used by
// embedded_log.cc only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "streams/event_log.h"

namespace strm::log_files {

inline constexpr std::string_view kMagic = "STRMLOG1";
inline constexpr size_t kSegmentHeader = 16;  // magic, base offset
inline constexpr size_t kBatchHeader = 28;    // length, crc, base offset, count, append time
inline constexpr size_t kMaxBatch = 64 << 20;

void PutU32(std::string& out, uint32_t v);
void PutU64(std::string& out, uint64_t v);
uint64_t GetBE(const char* p, int bytes);

// IoError "cannot WHAT PATH: <errno text>".
Status Errno(const std::string& what, const std::string& path);
// "<base offset, 20 digits>.seg".
std::string SegmentName(uint64_t base);
// fsync of a file or directory.
Status SyncPath(const std::string& path);
// Exactly `n` bytes at `pos`; fewer only at the end of the file.
Result<std::string> ReadAt(int fd, uint64_t pos, size_t n, const std::string& path);
Status WriteAll(int fd, std::string_view data, uint64_t pos, const std::string& path);
// Writes `text` to `path` atomically and durably: a temporary, synced, renamed, the directory
// synced.
Status ReplaceFile(const std::string& path, std::string_view text);
Result<std::string> ReadSmallFile(const std::string& path);  // NotFound
// A decimal number, alone on its line; IoError naming `path` otherwise.
Result<uint64_t> ParseNumber(std::string_view text, const std::string& path);

// One batch read back: its records (or, without them, only their count).
struct Batch {
  uint64_t base = 0;
  int64_t time = 0;
  uint64_t bytes = 0;  // on disk, header included
  std::vector<StoredRecord> records;
};

// The batch at `pos` of a segment `size` bytes long; nullopt when the bytes there are not a
// whole, intact batch whose first offset is `expect_base` (when given).
Result<std::optional<Batch>> ReadBatch(int fd, uint64_t pos, uint64_t size, const std::string& path,
                                       std::optional<uint64_t> expect_base, bool with_records);

}  // namespace strm::log_files
