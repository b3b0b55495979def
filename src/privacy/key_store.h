// KeyStore: where the encryption keys of batch jobs live (SPEC §2 step 4), as the jobs see
// it: keys chosen by (key group, key-field value, UTC day), made once and then found again by
// every later run of the group. The jobs reach keys through this interface only; the catalog
// (catalog/catalog.h) implements it, sealing keys at rest and finding them by HMAC lookups
// that hold no key-field value.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "privacy/tink_keyset.h"

namespace strm {

// One encryption key of the key store (SPEC §2 step 4).
struct DataKey {
  std::array<uint8_t, 16> key_link{};  // the UUIDv4's bytes
  TinkKeyset keyset;
  int64_t expires_at = 0;  // epoch ms
  std::string policy_id;
  std::string KeyLinkText() const;  // lowercase 8-4-4-4-12
};

// A new key for `day`: keyset, key id and keyLink from 84 bytes the caller drew from a secure
// random source (the key, then 4 for the key id, then 16 for the keyLink); expiry 7 years
// after the start of the day; no policy.
inline constexpr size_t kNewKeyRandomBytes = 84;
DataKey NewDataKey(std::span<const uint8_t, kNewKeyRandomBytes> random, int64_t day);

// Which key a row needs: the value of the contract's key field and the UTC day (days since
// 1970-01-01) of the row's timestamp, within a key group (batch_job_group_id or job id).
struct KeyRequest {
  std::string value;
  int64_t day = 0;
};

// Where a key request's key is stored: an HMAC under the master key of (group, day, value),
// with the group and the day, so that the catalog holds no key-field value. Opaque to callers.
struct KeyLookup {
  std::array<uint8_t, 28> bytes{};
  bool operator==(const KeyLookup&) const = default;
  auto operator<=>(const KeyLookup&) const = default;
};

// Exclusive use of one key group by one job run. While a writer is open, no other writer of
// that group exists in any thread or process sharing the catalog (OpenKeyGroup waits for
// it), so new keys are made by the caller, in memory, and stored in large batches.
//
// A caller that needs the key of a request asks, in order: its own memory (a run's KeyCache
// holds every key it used); FindStored, for keys stored before this writer opened (nothing to
// do for a group that had none, the usual case: a job's own group); and otherwise makes the key
// (NewDataKey) and hands it to AddNew. AddNew passes each full batch of new keys to a
// background thread that seals and stores it in one transaction, then checkpoints the WAL, so
// callers do not wait for the database (KeyGroupOptions); they wait only when a bounded number
// of new keys are not stored yet. Flush stores the rest, checkpoints and waits: the keys are
// then durable. Keys not flushed when the writer is destroyed are dropped, so a run flushes
// before it commits any output that uses them. While a writer is open, its catalog's
// connection does not checkpoint by itself. Thread-safe. Must not outlive its catalog.
class KeyGroupWriter {
 public:
  virtual ~KeyGroupWriter() = default;
  // The lookup of the key of `value` (a key-field value) on `day`. Pure; any thread, without
  // waiting.
  virtual KeyLookup Lookup(std::string_view value, int64_t day) const = 0;
  // Whether the group had stored keys when this writer opened: if not (a job's own group,
  // the usual case), FindStored finds nothing and need not be asked.
  virtual bool has_stored_keys() const = 0;
  // found[i] (found.size() == lookups.size()) is set to the key of lookups[i] if it was
  // stored before this writer opened, and left empty otherwise. PermissionDenied if a stored
  // key does not open.
  virtual Status FindStored(std::span<const KeyLookup> lookups,
                            std::span<std::optional<DataKey>> found) = 0;
  // Adds keys[i] as the key of lookups[i]. The caller guarantees that no lookup has a key
  // already, stored or added (a KeyCache does, under its lock); the store does not check.
  // Errors of a background store come back here.
  virtual Status AddNew(std::span<const KeyLookup> lookups, std::span<const DataKey> keys) = 0;
  // Stores every key added so far, and waits until they are durable. Errors of a
  // background store come back here.
  virtual Status Flush() = 0;
  virtual size_t pending() const = 0;  // keys added and not yet stored
};

struct KeyGroupOptions {
  // Full batches of new keys are stored by a background thread; false: by the AddNew call
  // that filled them (a run limited to one thread).
  bool store_in_background = true;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // The keys for `requests` within `group`, in the same order: stored keys are returned,
  // missing ones made (NewDataKey) and stored before it returns; equal requests get one key.
  // Through a key-group writer (waiting for one that is open), so concurrent callers of one
  // group agree on every key.
  virtual Result<std::vector<DataKey>> GetOrCreateKeys(std::string_view group,
                                                       const std::vector<KeyRequest>& requests) = 0;
  // See KeyGroupWriter. Waits while another writer of `group` is open.
  virtual Result<std::unique_ptr<KeyGroupWriter>> OpenKeyGroup(std::string_view group,
                                                               KeyGroupOptions options) = 0;
  Result<std::unique_ptr<KeyGroupWriter>> OpenKeyGroup(std::string_view group) {
    return OpenKeyGroup(group, KeyGroupOptions{});
  }
};

// Midnight UTC of `day` plus 7 calendar years (Feb 29 -> Feb 28), in epoch ms.
int64_t DefaultKeyExpiry(int64_t day);

}  // namespace strm
