// The encryption keys of one source stream's events (SPEC §3): one per key-field value, used
// for 24 hours from its creation (`key_life`), then replaced by a new key with a new keyLink.
// Every new key is appended to the stream's key stream by `store`, and nobody gets it before
// that append is durable, so an event is never stored with a key that could be lost.
//
// Values are held as HMACs under the catalog's lookup key (SecretBox::LookupId of the stream
// id and the value), never as themselves. Restore() takes back, from the key stream, the keys
// still young enough after a restart. Thread-safe; callbacks run on the caller's thread (the
// key is ready) or on the thread that completes the store.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/secret_box.h"
#include "core/result.h"

namespace strm {

// A key as the key stream holds it: its lookup (hex), when it was made, and the key.
struct StreamKeyRecord {
  std::array<uint8_t, 16> lookup{};
  int64_t created_at = 0;  // epoch ms
  DataKey key;
};

// The sealed value of a key-stream record, and back (context: the stream's id). The JSON
// inside is {"keyLink", "encryptionKey" (the Tink keyset JSON), "policyId", "expiresAt",
// "createdAt", "lookup"}: what an export of the key stream writes (its first four members).
Bytes SealStreamKey(const SecretBox& box, std::string_view stream_id, const StreamKeyRecord& k);
Result<StreamKeyRecord> OpenStreamKey(const SecretBox& box, std::string_view stream_id,
                                      std::span<const uint8_t> sealed);

class StreamKeys {
 public:
  // Stores a new key durably; calls `done` once, from any thread.
  using Store = std::function<void(const StreamKeyRecord&, std::function<void(Status)> done)>;
  using Ready = std::function<void(Result<DataKey>)>;

  StreamKeys(const SecretBox& box, std::string stream_id, Store store,
             std::chrono::milliseconds key_life = std::chrono::hours(24));

  // Calls `ready` with the key of `value` at `now` (epoch ms): the current one, or a new one
  // once it is stored (concurrent callers for the same value wait for that one key).
  void WithKey(std::string_view value, int64_t now, Ready ready);

  // Takes back a key read from the key stream (newer keys of a value win).
  void Restore(const StreamKeyRecord& k);

  size_t size() const;  // values with a key, stored or being stored

 private:
  struct Entry {
    StreamKeyRecord record;
    bool stored = false;
    std::vector<Ready> waiting;  // callers of a key being stored
  };
  struct LookupHash {
    size_t operator()(const std::array<uint8_t, 16>& a) const {
      size_t h;
      std::memcpy(&h, a.data(), sizeof h);
      return h;
    }
  };
  void Stored(const std::array<uint8_t, 16>& lookup, const StreamKeyRecord& made, Status s);

  const SecretBox& box_;
  const std::string stream_id_;
  const Store store_;
  const int64_t life_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::array<uint8_t, 16>, Entry, LookupHash> keys_;
};

}  // namespace strm
