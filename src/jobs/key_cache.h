// KeyCache: the keys of one job run, shared by its worker threads. A key is chosen by
// (key group, key-field value, UTC day); the first request creates it in the catalog, every
// later one (in any thread, or any later job of the group) gets the same key. The cache
// also records, per key, the first row that used it, so the keys output lists keys in the
// order of first use whatever the thread count. Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "privacy/tink_keyset.h"

namespace strm {

// Key material only: cipher contexts belong to the worker threads (a few per thread), so
// memory does not grow with the number of keys beyond the keys themselves.
struct KeyEntry {
  explicit KeyEntry(DataKey k) : key(std::move(k)) {}
  DataKey key;
  std::atomic<uint64_t> first_row{UINT64_MAX};

  void MarkUsed(uint64_t row) {
    uint64_t cur = first_row.load(std::memory_order_relaxed);
    while (row < cur && !first_row.compare_exchange_weak(cur, row, std::memory_order_relaxed)) {
    }
  }
};

class KeyCache {
 public:
  KeyCache(Catalog* catalog, std::string group) : catalog_(catalog), group_(std::move(group)) {}

  // The entries for `requests`, in order; pointers stay valid for the cache's lifetime.
  // Missing keys are fetched or created in one catalog transaction.
  Result<std::vector<KeyEntry*>> Resolve(const std::vector<KeyRequest>& requests);

  // Keys used by at least one row, ordered by the first row that used them.
  std::vector<const KeyEntry*> UsedInOrder() const;

  // The cache key of a request (also usable by callers for their own per-thread maps).
  static void MakeId(std::string_view value, int64_t day, std::string& out);

 private:
  Catalog* catalog_;
  std::string group_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<KeyEntry>> entries_;
};

}  // namespace strm
