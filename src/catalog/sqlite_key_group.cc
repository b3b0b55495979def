#include "catalog/sqlite_key_group.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "catalog/key_chunks.h"
#include "core/bytes.h"
#include "core/huge_pages.h"

namespace strm {
namespace {

constexpr size_t kBatch = 1 << 16;  // keys per store, at least: fewer, larger runs
// New keys not yet stored, the batch being stored included, past which callers wait.
constexpr size_t kMaxUnstored = 3 * kBatch;
// Keys stored between two checkpoints of a run, at least (about 230 MB of chunks in the WAL).
// A checkpoint's two fsyncs wait behind the job's outputs on the same disk (100-200 ms each);
// done after every batch, they held the storer, and then the workers, for most of a run
// that creates a key for every other row. A run with fewer keys checkpoints once, in Flush.
constexpr size_t kCheckpointKeys = size_t{1} << 21;
constexpr size_t kReserveMargin = 16384;  // a call's keys past kMaxUnstored (a block's, say)

// A keyset of the table encryption_keys, where keys were kept one a row before key_chunks: key
// id (4 bytes, big-endian) ‖ the 64-byte key, sealed. Such keys are still found.
Result<TinkKeyset> DecodeKey(std::string_view raw) {
  TinkKeyset k;
  if (raw.size() != 4 + k.key.size()) return Internal("catalog: a stored key has a wrong size");
  for (int i = 0; i < 4; ++i) k.key_id = (k.key_id << 8) | static_cast<uint8_t>(raw[i]);
  std::memcpy(k.key.data(), raw.data() + 4, k.key.size());
  return k;
}

// lookup = H(group)[8] ‖ day (4 bytes, big-endian) ‖ H(group, day, value)[16].
int64_t DayOf(const KeyLookup& l) {
  return static_cast<int32_t>(static_cast<uint32_t>(LoadBe64(l.bytes.data() + 4)));
}
KeyId16 IdOf(const KeyLookup& l) {
  KeyId16 id;
  std::memcpy(id.data(), l.bytes.data() + 12, 16);
  return id;
}

// A key added and not yet stored, in fixed-size fields (no heap): many thousands wait.
struct Pending {
  KeyLookup lookup;
  KeyId16 link;
  TinkKeyset keyset;
  int64_t expires_at;
};
// Batches, and Store's scratch below, are tens of MB filled once and reused: in huge pages,
// a few dozen page faults instead of ten thousands.
using Batch = std::vector<Pending, HugePageAllocator<Pending>>;

static_assert(std::is_trivially_copyable_v<Pending>);
void Cleanse(Batch& batch) { OPENSSL_cleanse(batch.data(), batch.size() * sizeof(Pending)); }

// Exclusion across threads and processes is an OFD byte-range lock on
// $STRM_HOME/keygroups.lock at an offset derived from the group's lookup id: released by the
// kernel if the process dies, and two groups that share an offset only wait for each other,
// they never share keys.
class SqliteKeyGroupWriter final : public KeyGroupWriter {
 public:
  SqliteKeyGroupWriter(const SqliteKeyStore& store, std::string group,
                       std::array<uint8_t, 16> group_id, int lock_fd, KeyGroupOptions options)
      : store_(store),
        group_(std::move(group)),
        group_id_(group_id),
        lock_fd_(lock_fd),
        options_(options) {
    // Room for every key that may wait, reserved (not touched) up front: a vector doubling
    // at 131,072 pending keys holds the old and the new copy at once (19 MB of keys).
    pending_.reserve(kMaxUnstored + kReserveMargin);
    storing_.reserve(kMaxUnstored + kReserveMargin);
  }

  ~SqliteKeyGroupWriter() override {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !storing_active_; });
      stop_ = true;
    }
    cv_.notify_all();
    if (storer_.joinable()) storer_.join();
    Cleanse(pending_);
    if (autocheckpoint_ > 0) {  // the catalog's own setting again
      std::lock_guard db_lock(*store_.db_mu);
      (void)store_.db->Exec("PRAGMA wal_autocheckpoint = " + std::to_string(autocheckpoint_));
    }
    if (wal_fd_ >= 0) ::close(wal_fd_);
    ::close(lock_fd_);  // releases the lock
  }

  // Lookup ids are HMACs under the master key, so under a wrong key every lookup would miss
  // and new keys would silently be made for data subjects that have keys: the catalog
  // refused a wrong key when it opened (its master key check). Note whether the group has
  // stored keys at all: if not, no other writer can add any while this one lives, so lookups
  // need not ask the database.
  Status CheckStore() {
    std::lock_guard db_lock(*store_.db_mu);
    // This writer checkpoints the WAL itself, between its batches and off the callers' path:
    // left to SQLite, the checkpoint (two fsyncs, behind the job's output on the same disk)
    // ran in whichever commit crossed the threshold, a batch's or the job's progress record's.
    STRM_ASSIGN_OR_RETURN(auto autocheckpoint, store_.db->Prepare("PRAGMA wal_autocheckpoint"));
    STRM_ASSIGN_OR_RETURN(bool has_setting, autocheckpoint.Step());
    if (has_setting) autocheckpoint_ = autocheckpoint.Int(0);
    STRM_RETURN_IF_ERROR(store_.db->Exec("PRAGMA wal_autocheckpoint = 0"));
    STRM_ASSIGN_OR_RETURN(auto st, store_.db->Prepare("SELECT 1 FROM encryption_keys "
                                                      "WHERE lookup >= ? AND lookup <= ? LIMIT 1"));
    KeyLookup low, high;
    high.bytes.fill(0xff);
    std::memcpy(low.bytes.data(), group_id_.data(), 8);
    std::memcpy(high.bytes.data(), group_id_.data(), 8);
    st.BindBlob(1, low.bytes).BindBlob(2, high.bytes);
    STRM_ASSIGN_OR_RETURN(legacy_at_open_, st.Step());
    STRM_ASSIGN_OR_RETURN(bool chunked, OpenChunks());
    stored_at_open_ = legacy_at_open_ || chunked;
    return Status::Ok();
  }

  KeyLookup Lookup(std::string_view value, int64_t day_number) const override {
    // group \0 day \0 value: unambiguous, and the lookup id reveals none of it.
    thread_local std::string message;
    message.assign(group_);
    message += '\0';
    char digits[24];
    message.append(digits, std::to_chars(digits, digits + sizeof digits, day_number).ptr);
    message += '\0';
    message += value;
    KeyLookup lookup;
    std::memcpy(lookup.bytes.data(), group_id_.data(), 8);
    const uint32_t day = static_cast<uint32_t>(day_number);
    for (int i = 0; i < 4; ++i) lookup.bytes[8 + i] = static_cast<uint8_t>(day >> (24 - 8 * i));
    const auto id = store_.box->LookupId(message);
    std::memcpy(lookup.bytes.data() + 12, id.data(), 16);
    return lookup;
  }

  bool has_stored_keys() const override { return stored_at_open_; }

  Status FindStored(std::span<const KeyLookup> lookups,
                    std::span<std::optional<DataKey>> found) override {
    if (!stored_at_open_ || lookups.empty()) return Status::Ok();
    std::lock_guard db_lock(*store_.db_mu);
    SqliteDb& db = *store_.db;
    STRM_RETURN_IF_ERROR(db.Exec("BEGIN"));  // one snapshot, one lock, for all of them
    Status s = SelectMany(lookups, found);
    Status end = db.Exec(s.ok() ? "COMMIT" : "ROLLBACK");
    return s.ok() ? end : s;
  }

  Status AddNew(std::span<const KeyLookup> lookups, std::span<const DataKey> keys) override {
    std::unique_lock lock(mu_);
    if (!error_.ok()) return error_;
    for (size_t i = 0; i < lookups.size(); ++i)
      pending_.push_back({lookups[i], keys[i].key_link, keys[i].keyset, keys[i].expires_at});
    if (pending_.size() < kBatch) return Status::Ok();
    if (!options_.store_in_background) {
      const size_t stored = pending_.size();
      STRM_RETURN_IF_ERROR(StorePending());
      return CheckpointEvery(stored);
    }
    StartStore(lock);
    return error_;
  }

  // The last checkpoint also makes every stored key durable (synchronous = NORMAL syncs the
  // WAL before it and the database after), before the outputs that need them are committed.
  Status Flush() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !storing_active_; });
    if (!error_.ok()) return error_;
    STRM_RETURN_IF_ERROR(StorePending());
    return Checkpoint();
  }

  size_t pending() const override {
    std::lock_guard lock(mu_);
    return pending_.size() + storing_.size();
  }

 private:
  // Stores the pending keys now; mu_ is held.
  Status StorePending() {
    if (pending_.empty()) return Status::Ok();
    Status s = Store(pending_);
    Cleanse(pending_);
    pending_.clear();
    if (!s.ok()) error_ = s.WithContext("cannot store encryption keys");
    return error_;
  }

  // Hands the pending keys to the storer thread. While it stores a batch, callers go on
  // adding keys (a day's first rows need a new key each, faster than they are stored) until
  // kMaxUnstored keys are not stored; only then do they wait for it.
  void StartStore(std::unique_lock<std::mutex>& lock) {
    if (storing_active_ && pending_.size() + storing_.size() < kMaxUnstored) return;
    cv_.wait(lock, [this] { return !storing_active_; });
    // Another thread may have handed over the batch meanwhile: wait for a full one.
    if (!error_.ok() || pending_.size() < kBatch) return;
    TakePendingLocked();
    if (!storer_.joinable()) storer_ = std::thread([this] { StoreLoop(); });
    cv_.notify_all();
  }

  void TakePendingLocked() {
    storing_.swap(pending_);
    pending_.clear();
    storing_active_ = true;
  }

  // The storer thread: stores each batch handed over, then takes the next full batch, or
  // else checkpoints while callers fill one.
  void StoreLoop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || storing_active_; });
      if (!storing_active_) return;  // stopping
      lock.unlock();
      // storing_ is only touched by this thread while active: no lock needed here.
      Status s = Store(storing_);
      lock.lock();
      if (!s.ok()) error_ = s.WithContext("cannot store encryption keys");
      Cleanse(storing_);
      const size_t stored = storing_.size();
      storing_.clear();
      storing_active_ = false;
      if (s.ok() && pending_.size() >= kBatch) TakePendingLocked();
      cv_.notify_all();
      if (!s.ok()) continue;
      lock.unlock();
      Status c = CheckpointEvery(stored);
      lock.lock();
      if (!c.ok() && error_.ok()) error_ = c.WithContext("cannot store encryption keys");
    }
  }

  // Starts writing the WAL's new pages to the disk, without waiting (sync_file_range). The
  // WAL is synced only at a checkpoint, and the last one, in Flush, found the whole run's
  // batches (80 MB for a million rows that make 574,444 keys) still to write, queued behind
  // the job's outputs: half a second, with every other thread done. Best effort: the
  // checkpoint's fsync is what makes the keys durable, and reports errors.
  void StartWalWriteback() {
    if (wal_fd_ < 0) {
      wal_fd_ = ::open((store_.home + "/catalog.db-wal").c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) return;
    }
    (void)::sync_file_range(wal_fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
  }

  // Counts `stored` keys, and checkpoints once kCheckpointKeys were stored since the last.
  Status CheckpointEvery(size_t stored) {
    unchecked_keys_ += stored;
    if (unchecked_keys_ < kCheckpointKeys) return Status::Ok();
    unchecked_keys_ = 0;
    return Checkpoint();
  }

  // Copies the WAL's pages into the database, as far as other connections' readers allow.
  Status Checkpoint() {
    std::lock_guard db_lock(*store_.db_mu);
    return store_.db->Exec("PRAGMA wal_checkpoint(PASSIVE)");
  }

  // The group's runs of chunks, read afresh (key_chunks.h); true if it has any. db_mu held.
  Result<bool> OpenChunks() {
    std::array<uint8_t, 8> group;
    std::memcpy(group.data(), group_id_.data(), 8);
    chunks_.emplace(store_.db, store_.box, group);
    return chunks_->Open();
  }

  // found[i] for each lookup stored in chunks or, for catalogs that hold some, one a row.
  Status SelectMany(std::span<const KeyLookup> lookups, std::span<std::optional<DataKey>> found) {
    for (size_t i = 0; i < lookups.size(); ++i) {
      STRM_ASSIGN_OR_RETURN(std::optional<ChunkKey> k,
                            chunks_->Find(DayOf(lookups[i]), IdOf(lookups[i])));
      if (!k) continue;
      found[i] = DataKey{k->link, k->keyset, k->expires_at, ""};
      OPENSSL_cleanse(k->keyset.key.data(), k->keyset.key.size());
    }
    if (!legacy_at_open_) return Status::Ok();
    SecretBox::Batch box(*store_.box);
    STRM_ASSIGN_OR_RETURN(auto st,
                          store_.db->Prepare("SELECT key_link, keyset, expires_at, policy_id "
                                             "FROM encryption_keys WHERE lookup=?"));
    for (size_t i = 0; i < lookups.size(); ++i) {
      if (found[i]) continue;
      st.Reset();
      st.BindBlob(1, lookups[i].bytes);
      STRM_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) continue;
      const std::string link = st.Text(0);
      DataKey key;
      if (!ParseUuid(link, key.key_link))
        return Internal("catalog: a stored keyLink is not a lowercase UUID");
      STRM_ASSIGN_OR_RETURN(std::string raw, box.Open(st.Blob(1), link));
      auto keyset = DecodeKey(raw);
      OPENSSL_cleanse(raw.data(), raw.size());
      if (!keyset.ok()) return keyset.status();
      key.keyset = *keyset;
      key.expires_at = st.Int(2);
      key.policy_id = st.Text(3);
      found[i] = std::move(key);
    }
    return Status::Ok();
  }

  // Stores `batch` in one transaction: one run of chunks for each day it holds
  // (key_chunks.h).
  Status Store(const Batch& batch) {
    // By the lookup's first 16 bytes as two big-endian integers (group, day, then the id's
    // first bytes): the order of its bytes, without a memcmp call per comparison.
    // Kept from batch to batch: fresh vectors of this size were fresh pages to fault in.
    auto& order = order_;
    order.resize(batch.size());
    for (uint32_t i = 0; i < order.size(); ++i)
      order[i] = {LoadBe64(batch[i].lookup.bytes.data()),
                  LoadBe64(batch[i].lookup.bytes.data() + 8), i};
    std::sort(order.begin(), order.end(), [&batch](const Sort& a, const Sort& b) {
      if (a.hi != b.hi) return a.hi < b.hi;
      if (a.lo != b.lo) return a.lo < b.lo;
      return batch[a.index].lookup < batch[b.index].lookup;  // the rest of the bytes
    });
    auto& day_keys = day_keys_;
    day_keys.reserve(batch.size());
    std::lock_guard db_lock(*store_.db_mu);
    SqliteDb& db = *store_.db;
    STRM_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    Status s;
    for (size_t at = 0; at < order.size() && s.ok();) {
      const int64_t day = DayOf(batch[order[at].index].lookup);
      day_keys.clear();
      for (; at < order.size() && DayOf(batch[order[at].index].lookup) == day; ++at) {
        const Pending& p = batch[order[at].index];
        day_keys.push_back({IdOf(p.lookup), p.link, p.keyset, p.expires_at});
      }
      s = chunks_->WriteRun(day, day_keys);
    }
    OPENSSL_cleanse(day_keys.data(), day_keys.size() * sizeof(ChunkKey));
    if (s.ok()) s = db.Exec("COMMIT");
    if (s.ok()) StartWalWriteback();
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      (void)OpenChunks();  // its view of the runs may be ahead of the table now
    }
    return s;
  }

  const SqliteKeyStore store_;
  const std::string group_;
  const std::array<uint8_t, 16> group_id_;
  const int lock_fd_;
  const KeyGroupOptions options_;
  int64_t autocheckpoint_ = 0;       // the connection's setting before this writer (pages)
  bool stored_at_open_ = true;       // set once, before any other thread sees the writer
  bool legacy_at_open_ = false;      // the group has keys in encryption_keys (likewise)
  std::optional<KeyChunks> chunks_;  // used with *store_.db_mu held
  // Store's scratch: one Store runs at a time (the storer thread's, or a caller's holding mu_
  // while no store is active).
  struct Sort {
    uint64_t hi, lo;
    uint32_t index;
  };
  std::vector<Sort, HugePageAllocator<Sort>> order_;
  std::vector<ChunkKey, HugePageAllocator<ChunkKey>> day_keys_;
  size_t unchecked_keys_ = 0;  // stored since the last checkpoint (the storing thread's)
  int wal_fd_ = -1;            // the WAL, for StartWalWriteback (opened by Store's caller)

  mutable std::mutex mu_;  // everything below; never taken while holding *store_.db_mu
  std::condition_variable cv_;
  Status error_;   // of a store: every later call fails with it
  Batch pending_;  // added, not yet handed to the storer
  Batch storing_;  // being stored by storer_
  bool storing_active_ = false;
  bool stop_ = false;   // the storer thread ends
  std::thread storer_;  // started with the first batch handed over
};

}  // namespace

Result<std::unique_ptr<KeyGroupWriter>> OpenSqliteKeyGroup(const SqliteKeyStore& store,
                                                           std::string_view group,
                                                           KeyGroupOptions options) {
  std::string message("group\0", 6);  // a literal "\0" would end the string
  message += group;
  const auto group_id = store.box->LookupId(message);
  const std::string path = store.home + "/keygroups.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  uint64_t offset = 0;
  std::memcpy(&offset, group_id.data(), sizeof offset);
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(offset >> 2);  // positive, far below OFF_MAX
  lock.l_len = 1;
  while (::fcntl(fd, F_OFD_SETLKW, &lock) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    return IoError("cannot lock key group in " + path + ": " + std::strerror(err));
  }
  auto writer =
      std::make_unique<SqliteKeyGroupWriter>(store, std::string(group), group_id, fd, options);
  STRM_RETURN_IF_ERROR(writer->CheckStore());
  return std::unique_ptr<KeyGroupWriter>(std::move(writer));
}

}  // namespace strm
