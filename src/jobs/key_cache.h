// KeyCache: the keys of one job run, shared by its worker threads. A key is chosen by
// (key group, key-field value, UTC day); the first request creates it in the key store
// (privacy/key_store.h), every
// later one (in any thread, or any later job of the group) gets the same key. The cache
// also records, per key, the first row that used it, so the keys output lists keys in the
// order of first use whatever the thread count. Thread-safe.
//
// Memory is about 140 bytes per distinct key of the run (a 128-byte entry and its slot),
// whatever the file size or the length of the key-field values: an entry holds the key
// material and keyLink, and is identified by its day and the 128-bit SipHash of the key-field
// value under a random key of this run (two values share an entry only if those hashes
// collide, about n²/2^129 for n keys: the same odds as the catalog's 128-bit lookup ids).
// No key-field value is kept.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/huge_pages.h"
#include "core/siphash.h"
#include "privacy/key_store.h"
#include "privacy/tink_keyset.h"

namespace strm {

// Which key a row needs, within one run (see above).
struct KeyId {
  uint64_t h1 = 0, h2 = 0;
  int64_t day = 0;
  bool operator==(const KeyId&) const = default;
};

// Aligned to its size, so an entry is two whole cache lines (the CPU's adjacent-line
// prefetch then fetches both on one miss).
struct alignas(128) KeyEntry {
  // In this order, 128 bytes (no padding).
  KeyId id;
  TinkKeyset keyset;
  uint32_t policy = 0;                 // index of its policy id in the cache (0: none)
  std::array<uint8_t, 16> key_link{};  // the UUID's bytes (its text is 20 bytes more)
  int64_t expires_at = 0;
  std::atomic<uint64_t> first_row{UINT64_MAX};

  // The keyLink in its canonical lowercase 8-4-4-4-12 text, appended or written at `out`
  // (kKeyLinkSize bytes; returns the end).
  static constexpr size_t kKeyLinkSize = 36;
  void AppendKeyLink(std::string& out) const;
  char* WriteKeyLink(char* out) const;
  std::string KeyLink() const {
    std::string s;
    AppendKeyLink(s);
    return s;
  }
  // Asks the CPU to fetch the entry before it is used (rows' keys are scattered in memory).
  void Prefetch() const {
    __builtin_prefetch(this);
    __builtin_prefetch(reinterpret_cast<const char*>(this) + 64);
  }
  void MarkUsed(uint64_t row) {
    uint64_t cur = first_row.load(std::memory_order_relaxed);
    while (row < cur && !first_row.compare_exchange_weak(cur, row, std::memory_order_relaxed)) {
    }
  }
};

class KeyCache {
 public:
  // `options` are those of the store's key-group writer (see key_store.h).
  KeyCache(KeyStore* store, std::string group, KeyGroupOptions options = {});
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // The identity of the key for `value` on `day` (pure; any thread).
  KeyId Identify(std::string_view value, int64_t day) const;

  struct Request {
    KeyId id;                   // from Identify
    std::string_view value;     // the key-field value, read only if the key is not cached
    uint64_t row = UINT64_MAX;  // a row that uses the key: MarkUsed(row) (none: UINT64_MAX)
  };
  // Sets out[i] to the entry of requests[i] (out.size() == requests.size()) and marks it used
  // by requests[i].row, while the entry is in the CPU's cache (marked afterwards, it was a
  // cache miss per key of every block). Keys missing from the cache are fetched from the
  // key store or created, outside the cache's lock, so other threads keep finding cached keys
  // meanwhile. Entries stay valid for the cache's lifetime. The first call opens the key
  // group for writing (key_store.h): no other run of the group can create keys until this
  // cache is destroyed. Errors are the store's.
  Status Resolve(std::span<const Request> requests, std::span<KeyEntry*> out);

  // Stores every key created so far in the key store. New keys are stored in batches as the
  // run goes; call this before committing any output that uses them.
  Status Flush();

  // Appends the line of the keys output (keyLink,encryptionKey,policyId,expiresAt) of `entry`.
  void AppendKeysCsvLine(const KeyEntry& entry, std::string& out) const;

  const std::string& PolicyId(const KeyEntry& entry) const;
  size_t size() const;

 private:
  // The entry of `id`, probing from its home slot; with `compare` false, the first entry
  // whose tag matches, read from the slots alone (to prefetch it).
  KeyEntry* ProbeLocked(const KeyId& id, bool compare) const;
  KeyEntry* FindLocked(const KeyId& id) const { return ProbeLocked(id, true); }
  void PrefetchLocked(const KeyId& id) const;       // its home slot
  void PrefetchEntryLocked(const KeyId& id) const;  // its entry, if its home slot has it
  // The entry of `id`; if there is none, a new one holding make() (a DataKey), inserted at
  // the empty slot that the search for `id` ended at. Exclusive lock held.
  template <typename Make>
  KeyEntry* FindOrInsertLocked(const KeyId& id, Make make);
  void GrowLocked();
  KeyEntry& Entry(uint64_t index) const {  // 0-based
    return static_cast<KeyEntry*>(
        chunks_[index >> kChunkBits].data())[index & ((uint64_t{1} << kChunkBits) - 1)];
  }
  size_t SlotMask() const { return slot_count_ - 1; }
  uint64_t* Slots() const { return static_cast<uint64_t*>(slots_.data()); }

  KeyStore* store_;
  std::string group_;
  KeyGroupOptions options_;
  std::mutex writer_mu_;  // guards opening writer_ (which is thread-safe)
  std::unique_ptr<KeyGroupWriter> writer_;
  SipKey hash_key_{};
  // Guards the table and the entries' fields but first_row: shared for lookups, exclusive for
  // inserts.
  mutable std::shared_mutex mu_;
  // Entries in chunks of 2^kChunkBits, one huge page each (see huge_pages.h): stable
  // addresses, one shift to find one. An entry is constructed when inserted.
  static constexpr unsigned kChunkBits = 14;
  std::vector<HugePageBuffer> chunks_;
  uint64_t count_ = 0;
  // Open addressing, linear probing: 0 is empty, else (entry index + 1) | (h1's top 32 bits
  // << 32), so most probes that miss never touch the entry. In huge pages too.
  HugePageBuffer slots_;
  size_t slot_count_ = 0;  // a power of two
  std::vector<std::string> policies_{""};
};

}  // namespace strm
