// Keys at rest in the SQLite catalog: sorted runs of sealed chunks (docs/formats.md, "The key
// store"). Internal to src/catalog.
//
// Each time a key-group writer stores a batch of new keys, it writes one run per day of the
// batch: that day's new keys in the order of their lookup ids, cut into chunks of up to 64
// keys, each chunk sealed as one value (AES-256-GCM under the master key, bound to its group,
// day, run and first id) in one row of key_chunks. A row per key cost SQLite 2.7 µs a key
// (docs/performance.md); a chunk costs about as much as one such row. A lookup reads, in each
// run of its day, the one chunk that may hold the id (the last whose first id is not above
// it), opens it and searches it; opened chunks are kept in a small cache. So that lookups do
// not have to try ever more runs, the runs of a day are merged by size: whenever four runs of
// a day fall in one size class (their chunk counts' base-4 logarithm), they become one.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/secret_box.h"
#include "catalog/sqlite_db.h"
#include "core/result.h"
#include "privacy/tink_keyset.h"

namespace strm {

using KeyId16 = std::array<uint8_t, 16>;

// One key as a chunk holds it: 108 bytes at rest.
struct ChunkKey {
  KeyId16 id{};    // the lookup id: HMAC-SHA256 of (group, day, key-field value), truncated
  KeyId16 link{};  // the keyLink UUID's bytes
  TinkKeyset keyset;
  int64_t expires_at = 0;
};

inline constexpr size_t kChunkKeys = 64;
inline constexpr size_t kChunkKeyBytes = 16 + 16 + 4 + 64 + 8;

// Its table, key_chunks, is created by the catalog's migration 1 (sqlite_migrations.cc).

// The associated data a chunk is sealed with, as SQL over its row (for the master key check):
// "key_chunk/<GROUP HEX>/<day>/<run>/<FIRST HEX>".
inline constexpr std::string_view kChunkContextSql =
    "'key_chunk/' || hex(group_id) || '/' || day || '/' || run || '/' || hex(first)";

// The runs of one key group. Not thread-safe: the caller serialises every call and holds the
// database's mutex; writes happen in the caller's transaction (a failed one must be rolled
// back, and the object then dropped, since its view of the runs may be ahead of the table).
class KeyChunks {
 public:
  KeyChunks(SqliteDb* db, const SecretBox* box, std::array<uint8_t, 8> group_id);

  // Reads where the group's runs stand; true if it has any stored key.
  Result<bool> Open();

  // Stores `keys`, all of `day` and sorted by id without repeats, as a new run, then merges
  // the day's runs as above.
  Status WriteRun(int64_t day, std::span<const ChunkKey> keys);

  // The stored key `id` of `day`, if any. PermissionDenied if a chunk does not open (a wrong
  // master key, or an altered catalog).
  Result<std::optional<ChunkKey>> Find(int64_t day, const KeyId16& id);

 private:
  struct Run {
    int64_t number = 0;
    std::vector<KeyId16> firsts;  // of its chunks, in order
    std::vector<uint32_t> sizes;  // keys in each chunk
    uint64_t keys() const;
  };
  using Chunk = std::vector<ChunkKey>;

  Result<std::vector<Run>*> Runs(int64_t day);  // the day's runs, read on first use
  Result<const Chunk*> ReadChunk(int64_t day, int64_t run, const KeyId16& first);
  Status Insert(int64_t day, int64_t run, std::span<const ChunkKey> keys, Run& out);
  Status MergeSizeClasses(int64_t day, std::vector<Run>& runs);
  std::string Context(int64_t day, int64_t run, const KeyId16& first) const;

  SqliteDb* db_;
  const SecretBox* box_;
  std::array<uint8_t, 8> group_id_;
  int64_t next_run_ = 1;
  std::map<int64_t, std::vector<Run>> days_;  // runs of the days looked at or written
  // Opened chunks, most recently used first, at most kCachedChunks.
  static constexpr size_t kCachedChunks = 1024;
  std::list<std::pair<std::string, Chunk>> lru_;
  std::unordered_map<std::string, decltype(lru_)::iterator> cached_;
};

}  // namespace strm
