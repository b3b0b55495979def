#include "catalog/sqlite_key_group.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "core/bytes.h"

namespace strm {
namespace {

using Lookup = std::array<uint8_t, 28>;
constexpr size_t kKey = 68, kLink = 16, kNonce = 12;
constexpr size_t kSealed = kNonce + kKey + 16;
constexpr size_t kBatch = 1 << 16;  // keys per store, at least; larger batches write fewer pages
// New keys not yet stored, the batch being stored included, past which callers wait.
constexpr size_t kMaxUnstored = 3 * kBatch;
constexpr size_t kReserveMargin = 16384;  // a call's keys past kMaxUnstored (a block's, say)
constexpr size_t kRowsPerInsert = 64;     // most of a one-row INSERT's cost is the statement

// A keyset at rest: key id (4 bytes, big-endian) ‖ the 64-byte key.
std::array<uint8_t, kKey> EncodeKey(const TinkKeyset& k) {
  std::array<uint8_t, kKey> raw{};
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<uint8_t>(k.key_id >> (24 - 8 * i));
  std::memcpy(raw.data() + 4, k.key.data(), k.key.size());
  return raw;
}

Result<TinkKeyset> DecodeKey(std::string_view raw) {
  TinkKeyset k;
  if (raw.size() != 4 + k.key.size()) return Internal("catalog: a stored key has a wrong size");
  for (int i = 0; i < 4; ++i) k.key_id = (k.key_id << 8) | static_cast<uint8_t>(raw[i]);
  std::memcpy(k.key.data(), raw.data() + 4, k.key.size());
  return k;
}

// A created key until it is stored, in fixed-size fields (no heap): many thousands wait.
struct Pending {
  Lookup lookup;
  TinkKeyset keyset;
  std::array<char, 36> key_link;
  int64_t expires_at;
  DataKey Key() const {
    return {std::string(key_link.data(), key_link.size()), keyset, expires_at, ""};
  }
};

using Batch = std::vector<Pending>;

// Finds a lookup among a batch's keys: open addressing over (index in the batch + 1) << 32 |
// 32 bits of the lookup's HMAC as a tag (0 = empty), so a probe that misses rarely reads
// the batch. Flat: a node-based map cost an allocation and a hash of 28 bytes per new key.
class BatchIndex {
 public:
  const Pending* Find(const Lookup& l, const Batch& batch) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    for (size_t i = Home(l) & mask; slots_[i] != 0; i = (i + 1) & mask) {
      if (static_cast<uint32_t>(slots_[i]) != Tag(l)) continue;
      const Pending& p = batch[(slots_[i] >> 32) - 1];
      if (p.lookup == l) return &p;
    }
    return nullptr;
  }
  // Indexes batch[index], whose lookup is not indexed yet.
  void Add(size_t index, const Batch& batch) {
    if ((count_ + 1) * 2 > slots_.size()) {  // load at most 1/2
      std::vector<uint64_t> old(std::max<size_t>(1024, slots_.size() * 2), 0);
      old.swap(slots_);
      for (uint64_t s : old)
        if (s != 0) Insert(s, batch[(s >> 32) - 1].lookup);
    }
    Insert((static_cast<uint64_t>(index) + 1) << 32 | Tag(batch[index].lookup),
           batch[index].lookup);
    ++count_;
  }
  void clear() {
    std::fill(slots_.begin(), slots_.end(), 0);
    count_ = 0;
  }
  void swap(BatchIndex& other) {
    slots_.swap(other.slots_);
    std::swap(count_, other.count_);
  }

 private:
  // HMAC bytes of the lookup (12..28): already uniform.
  static uint64_t Home(const Lookup& l) {
    uint64_t h;
    std::memcpy(&h, l.data() + 20, sizeof h);
    return h;
  }
  static uint32_t Tag(const Lookup& l) {
    uint32_t t;
    std::memcpy(&t, l.data() + 16, sizeof t);
    return t;
  }
  void Insert(uint64_t slot, const Lookup& l) {
    const size_t mask = slots_.size() - 1;
    size_t i = Home(l) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
  std::vector<uint64_t> slots_;
  size_t count_ = 0;
};

void Cleanse(Batch& batch) {
  for (Pending& p : batch) OPENSSL_cleanse(p.keyset.key.data(), p.keyset.key.size());
}

// 64-bit fingerprints of stored lookups (open addressing, 0 = empty), 8-11 bytes a key. A
// slot's home is the fingerprint's low bits, so slots probed together share those: the rest
// (43 bits or more) must tell them apart. A false positive costs one database lookup, which
// waits for a batch being stored; with 32-bit fingerprints that happened hundreds of times a
// run (11 bits left to compare), now about never. Never a wrong key.
class FingerprintSet {
 public:
  static uint64_t Of(const Lookup& l) {
    uint64_t f;
    std::memcpy(&f, l.data() + 12, sizeof f);  // HMAC bytes: already uniform
    return f == 0 ? 1 : f;
  }
  bool MayContain(const Lookup& l) const {
    if (slots_.empty()) return false;
    const uint64_t f = Of(l);
    const size_t mask = slots_.size() - 1;
    for (size_t i = f & mask; slots_[i] != 0; i = (i + 1) & mask)
      if (slots_[i] == f) return true;
    return false;
  }
  void Add(const Lookup& l) {
    if ((count_ + 1) * 4 > slots_.size() * 3) {  // load at most 3/4
      std::vector<uint64_t> old(std::max<size_t>(1024, slots_.size() * 2), 0);
      old.swap(slots_);
      count_ = 0;
      for (uint64_t f : old)
        if (f != 0) Insert(f);
    }
    Insert(Of(l));
  }

 private:
  void Insert(uint64_t f) {
    const size_t mask = slots_.size() - 1;
    size_t i = f & mask;
    while (slots_[i] != 0 && slots_[i] != f) i = (i + 1) & mask;
    if (slots_[i] == 0) ++count_;
    slots_[i] = f;
  }
  std::vector<uint64_t> slots_;
  size_t count_ = 0;
};

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
    Lookup low{}, high{};
    high.fill(0xff);
    std::memcpy(low.data(), group_id_.data(), 8);
    std::memcpy(high.data(), group_id_.data(), 8);
    st.BindBlob(1, low).BindBlob(2, high);
    STRM_ASSIGN_OR_RETURN(stored_at_open_, st.Step());
    return Status::Ok();
  }

  Result<std::vector<DataKey>> GetOrCreate(const std::vector<KeyRequest>& requests) override {
    // The costly parts need no lock: lookup ids (HMACs) and random bytes for every request.
    SecretBox::Batch box(*store_.box);
    std::vector<Lookup> lookups(requests.size());
    std::string message;
    for (size_t i = 0; i < requests.size(); ++i) lookups[i] = MakeLookup(box, requests[i], message);
    Bytes random(requests.size() * (kKey + kLink));
    SecureRandom(random);

    std::vector<DataKey> out(requests.size());
    std::unique_lock lock(mu_);
    if (!error_.ok()) return error_;
    auto known = [this](const Lookup& l) -> const Pending* {
      if (const Pending* p = pending_index_.Find(l, pending_)) return p;
      return storing_index_.Find(l, storing_);
    };
    // The keys that may be stored, asked for in one read transaction.
    std::vector<size_t> ask;
    for (size_t i = 0; i < requests.size(); ++i)
      if (known(lookups[i]) == nullptr && (stored_at_open_ || stored_.MayContain(lookups[i])))
        ask.push_back(i);
    std::vector<std::optional<DataKey>> found(requests.size());
    if (!ask.empty()) {
      if (Status st = SelectMany(box, lookups, ask, found); !st.ok()) {
        OPENSSL_cleanse(random.data(), random.size());
        return st;
      }
    }
    for (size_t i = 0; i < requests.size(); ++i) {
      const Lookup& lookup = lookups[i];
      if (const Pending* p = known(lookup)) {
        out[i] = p->Key();
        continue;
      }
      if (found[i]) {
        out[i] = std::move(*found[i]);
        continue;
      }
      const uint8_t* r = random.data() + i * (kKey + kLink);
      Pending& p = pending_.emplace_back();
      p.lookup = lookup;
      p.keyset = TinkKeysetFromRandom(std::span<const uint8_t, kKey>(r, kKey));
      const std::string link = UuidV4FromRandom(std::span<const uint8_t, kLink>(r + kKey, kLink));
      std::memcpy(p.key_link.data(), link.data(), p.key_link.size());
      p.expires_at = DefaultKeyExpiry(requests[i].day);
      pending_index_.Add(pending_.size() - 1, pending_);
      out[i] = p.Key();
    }
    OPENSSL_cleanse(random.data(), random.size());
    if (pending_.size() >= kBatch) {
      if (!options_.store_in_background) {
        STRM_RETURN_IF_ERROR(StorePending());
        STRM_RETURN_IF_ERROR(Checkpoint());
      } else {
        StartStore(lock);
      }
    }
    return out;
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
    STRM_RETURN_IF_ERROR(Store(pending_));
    for (const Pending& p : pending_) stored_.Add(p.lookup);
    Cleanse(pending_);
    pending_.clear();
    pending_index_.clear();
    return Status::Ok();
  }

  // Hands the pending keys to the storer thread. While it stores a batch, callers go on
  // creating keys (a day's first rows need a new key each, faster than they are stored)
  // until kMaxUnstored keys are not stored; only then do they wait for it.
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
    storing_index_.swap(pending_index_);
    pending_.clear();
    pending_index_.clear();
    storing_active_ = true;
  }

  // The storer thread: stores each batch handed over and publishes it, then takes the next
  // full batch, or else checkpoints while callers fill one.
  void StoreLoop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || storing_active_; });
      if (!storing_active_) return;  // stopping
      lock.unlock();
      // storing_ is only read while active (GetOrCreate reads it too): no lock needed here.
      Status s = Store(storing_);
      lock.lock();
      if (s.ok()) {
        for (const Pending& p : storing_) stored_.Add(p.lookup);
      } else {
        error_ = s.WithContext("cannot store encryption keys");
      }
      Cleanse(storing_);
      storing_.clear();
      storing_index_.clear();
      storing_active_ = false;
      if (s.ok() && pending_.size() >= kBatch) TakePendingLocked();
      cv_.notify_all();
      if (!s.ok() || storing_active_) continue;
      lock.unlock();
      Status c = Checkpoint();
      lock.lock();
      if (!c.ok() && error_.ok()) error_ = c.WithContext("cannot store encryption keys");
    }
  }

  // Copies the WAL's pages into the database, as far as other connections' readers allow.
  Status Checkpoint() {
    std::lock_guard db_lock(*store_.db_mu);
    return store_.db->Exec("PRAGMA wal_checkpoint(PASSIVE)");
  }

  // lookup = H(group)[8] ‖ day (4 bytes, big-endian) ‖ H(group, day, value)[16] (kSchema).
  Lookup MakeLookup(SecretBox::Batch& box, const KeyRequest& r, std::string& message) const {
    // group \0 day \0 value: unambiguous, and the lookup id reveals none of it.
    message.assign(group_);
    message += '\0';
    message += std::to_string(r.day);
    message += '\0';
    message += r.value;
    Lookup lookup;
    std::memcpy(lookup.data(), group_id_.data(), 8);
    const uint32_t day = static_cast<uint32_t>(r.day);
    for (int i = 0; i < 4; ++i) lookup[8 + i] = static_cast<uint8_t>(day >> (24 - 8 * i));
    const auto id = box.LookupId(message);
    std::memcpy(lookup.data() + 12, id.data(), 16);
    return lookup;
  }

  // found[i] for each i of `ask`: the stored key of lookups[i], if any.
  Status SelectMany(SecretBox::Batch& box, const std::vector<Lookup>& lookups,
                    const std::vector<size_t>& ask, std::vector<std::optional<DataKey>>& found) {
    std::lock_guard db_lock(*store_.db_mu);
    SqliteDb& db = *store_.db;
    STRM_RETURN_IF_ERROR(db.Exec("BEGIN"));  // one snapshot, one lock, for all of them
    Status s = [&]() -> Status {
      STRM_ASSIGN_OR_RETURN(auto st, db.Prepare("SELECT key_link, keyset, expires_at, policy_id "
                                                "FROM encryption_keys WHERE lookup=?"));
      for (size_t i : ask) {
        st.Reset();
        st.BindBlob(1, lookups[i]);
        STRM_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) continue;
        DataKey key;
        key.key_link = st.Text(0);
        STRM_ASSIGN_OR_RETURN(std::string raw, box.Open(st.Blob(1), key.key_link));
        auto keyset = DecodeKey(raw);
        OPENSSL_cleanse(raw.data(), raw.size());
        if (!keyset.ok()) return keyset.status();
        key.keyset = *keyset;
        key.expires_at = st.Int(2);
        key.policy_id = st.Text(3);
        found[i] = std::move(key);
      }
      return Status::Ok();
    }();
    Status end = db.Exec(s.ok() ? "COMMIT" : "ROLLBACK");
    return s.ok() ? end : s;
  }

  // Seals `batch` and inserts it in lookup order (each B-tree page written once), in one
  // transaction.
  Status Store(const Batch& batch) {
    SecretBox::Batch box(*store_.box);
    Bytes nonces(batch.size() * kNonce);
    SecureRandom(nonces);
    std::vector<std::array<uint8_t, kSealed>> sealed(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      auto raw = EncodeKey(batch[i].keyset);
      Bytes s = box.Seal(AsChars(raw),
                         std::string_view(batch[i].key_link.data(), batch[i].key_link.size()),
                         std::span<const uint8_t, kNonce>(nonces.data() + i * kNonce, kNonce));
      OPENSSL_cleanse(raw.data(), raw.size());
      std::memcpy(sealed[i].data(), s.data(), kSealed);
    }
    // By the first 16 bytes of each lookup as two big-endian integers: the order of its
    // bytes, without a memcmp call per comparison (a batch has tens of thousands).
    struct Sort {
      uint64_t hi, lo;
      uint32_t index;
    };
    std::vector<Sort> keys(batch.size());
    for (uint32_t i = 0; i < keys.size(); ++i)
      keys[i] = {LoadBe64(batch[i].lookup.data()), LoadBe64(batch[i].lookup.data() + 8), i};
    std::sort(keys.begin(), keys.end(), [&batch](const Sort& a, const Sort& b) {
      if (a.hi != b.hi) return a.hi < b.hi;
      if (a.lo != b.lo) return a.lo < b.lo;
      return batch[a.index].lookup < batch[b.index].lookup;  // the rest of the bytes
    });
    std::vector<uint32_t> order(batch.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = keys[i].index;

    std::lock_guard db_lock(*store_.db_mu);
    SqliteDb& db = *store_.db;
    STRM_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    Status s = Insert(db, batch, sealed, order);
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s;
    }
    return db.Exec("COMMIT");
  }

  static Status Insert(SqliteDb& db, const Batch& batch,
                       const std::vector<std::array<uint8_t, kSealed>>& sealed,
                       const std::vector<uint32_t>& order) {
    const int64_t now = NowMillis();
    auto prepare = [&db](size_t rows) {
      std::string sql = "INSERT INTO encryption_keys VALUES (?,?,?,?,?,?)";
      for (size_t i = 1; i < rows; ++i) sql += ",(?,?,?,?,?,?)";
      return db.Prepare(sql);
    };
    STRM_ASSIGN_OR_RETURN(auto full, prepare(kRowsPerInsert));
    for (size_t at = 0; at < order.size();) {
      const size_t rows = std::min(kRowsPerInsert, order.size() - at);
      std::optional<SqliteStatement> tail;
      if (rows < kRowsPerInsert) {
        STRM_ASSIGN_OR_RETURN(auto st, prepare(rows));
        tail.emplace(std::move(st));
      }
      SqliteStatement& insert = tail ? *tail : full;
      insert.Reset();
      for (size_t r = 0; r < rows; ++r) {
        const Pending& p = batch[order[at + r]];
        const int base = static_cast<int>(6 * r);
        // The batch and `sealed` outlive the statement's run: no copies.
        insert.BindBlobBorrowed(base + 1, p.lookup)
            .BindBorrowed(base + 2, std::string_view(p.key_link.data(), p.key_link.size()))
            .BindBlobBorrowed(base + 3, sealed[order[at + r]])
            .Bind(base + 4, p.expires_at)
            .BindBorrowed(base + 5, "")  // new keys have no policy
            .Bind(base + 6, now);
      }
      STRM_RETURN_IF_ERROR(insert.Run());
      at += rows;
    }
    return Status::Ok();
  }

  const SqliteKeyStore store_;
  const std::string group_;
  const std::array<uint8_t, 16> group_id_;
  const int lock_fd_;
  const KeyGroupOptions options_;
  bool stored_at_open_ = true;  // set once, before any other thread sees the writer
  int64_t autocheckpoint_ = 0;  // the connection's setting before this writer (pages)

  mutable std::mutex mu_;  // everything below; never taken while holding *store_.db_mu
  std::condition_variable cv_;
  Status error_;   // of a background store: every later call fails with it
  Batch pending_;  // created, not yet handed to the storer
  BatchIndex pending_index_;
  Batch storing_;  // being stored by storer_
  BatchIndex storing_index_;
  bool storing_active_ = false;
  bool stop_ = false;      // the storer thread ends
  std::thread storer_;     // started with the first batch handed over
  FingerprintSet stored_;  // of the keys this writer stored
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
