// The embedded catalog: SQLite in $STRM_HOME/catalog.db. See catalog.h.
#include <date/date.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "catalog/catalog.h"
#include "catalog/secret_box.h"
#include "catalog/sqlite_db.h"

namespace strm {
namespace {

constexpr std::string_view kSchema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -8192;
PRAGMA wal_autocheckpoint = 8192;
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS data_connectors (
  name TEXT PRIMARY KEY, type TEXT NOT NULL, location TEXT NOT NULL,
  credentials BLOB, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS data_contracts (
  ref TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batch_jobs (
  id TEXT PRIMARY KEY, config BLOB NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL,
  stats TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
-- lookup = H(group)[8] ‖ day (4 bytes, big-endian) ‖ H(group, day, value)[16]: a run's new
-- keys cluster by group and day in the B-tree, and no key-field value is stored.
-- keyset = sealed key id (4 bytes, big-endian) ‖ 64-byte AES-SIV key.
CREATE TABLE IF NOT EXISTS encryption_keys (
  lookup BLOB PRIMARY KEY, key_link TEXT NOT NULL, keyset BLOB NOT NULL,
  expires_at INTEGER NOT NULL, policy_id TEXT NOT NULL, created_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// A keyset at rest: key id (4 bytes, big-endian) ‖ the 64-byte key.
std::string EncodeKey(const TinkKeyset& k) {
  std::string raw(4 + k.key.size(), '\0');
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<char>(k.key_id >> (24 - 8 * i));
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

constexpr const char* kStateNames[] = {"PENDING",  "STARTED",        "RUNNING",
                                       "FINISHED", "ERROR_STARTING", "ERROR"};

// Every row of `st`, each turned into a T by `read` (which may fail).
template <typename T, typename Read>
Result<std::vector<T>> Collect(SqliteStatement& st, Read read) {
  std::vector<T> out;
  for (;;) {
    STRM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    STRM_ASSIGN_OR_RETURN(T item, read(st));
    out.push_back(std::move(item));
  }
}

class SqliteCatalog final : public Catalog {
 public:
  SqliteCatalog(std::string home, std::unique_ptr<SqliteDb> db, SecretBox box)
      : home_(std::move(home)), db_(std::move(db)), box_(box) {}

  Status CreateDataConnector(const DataConnector& c) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO data_connectors VALUES (?,?,?,?,?)"));
    st.Bind(1, c.name).Bind(2, c.type).Bind(3, c.location.dump()).Bind(5, c.created_at);
    if (c.credentials.empty()) {
      st.BindNull(4);
    } else {
      st.BindBlob(4, box_.Seal(c.credentials, "data_connector/" + c.name));
    }
    Status s = st.Run();
    if (s.code() == StatusCode::kAlreadyExists)
      return AlreadyExists("data connector '" + c.name + "' already exists");
    return s;
  }

  Result<DataConnector> GetDataConnector(std::string_view name) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string(kSelectConnector) + " WHERE name=?"));
    st.Bind(1, name);
    STRM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("data connector '" + std::string(name) + "' does not exist");
    return ReadConnector(st);
  }

  Result<std::vector<DataConnector>> ListDataConnectors() override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string(kSelectConnector) + " ORDER BY name"));
    return Collect<DataConnector>(st,
                                  [this](const SqliteStatement& r) { return ReadConnector(r); });
  }

  Status DeleteDataConnector(std::string_view name) override {
    return DeleteWhere("data_connectors", "name", name,
                       "data connector '" + std::string(name) + "' does not exist");
  }

  Status CreateDataContract(const DataContract& c) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO data_contracts VALUES (?,?,?)"));
    st.Bind(1, c.ref.ToString()).Bind(2, ContractToJson(c).dump()).Bind(3, NowMillis());
    Status s = st.Run();
    if (s.code() == StatusCode::kAlreadyExists)
      return AlreadyExists("data contract " + c.ref.ToString() + " already exists");
    return s;
  }

  Result<DataContract> GetDataContract(const ContractRef& ref) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT body FROM data_contracts WHERE ref=?"));
    st.Bind(1, ref.ToString());
    STRM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("data contract " + ref.ToString() + " does not exist");
    return ParseContract(st.Text(0));
  }

  Result<std::vector<DataContract>> ListDataContracts() override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT body FROM data_contracts ORDER BY ref"));
    return Collect<DataContract>(st,
                                 [](const SqliteStatement& r) { return ParseContract(r.Text(0)); });
  }

  Status DeleteDataContract(const ContractRef& ref) override {
    return DeleteWhere("data_contracts", "ref", ref.ToString(),
                       "data contract " + ref.ToString() + " does not exist");
  }

  Status CreateBatchJob(const BatchJobRecord& j) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO batch_jobs VALUES (?,?,?,?,?,?,?)"));
    st.Bind(1, j.id)
        .BindBlob(2, box_.Seal(j.config.dump(), "batch_job/" + j.id))
        .Bind(3, JobStateName(j.state))
        .Bind(4, j.message)
        .Bind(5, j.stats.dump())
        .Bind(6, j.created_at)
        .Bind(7, j.updated_at);
    Status s = st.Run();
    if (s.code() == StatusCode::kAlreadyExists)
      return AlreadyExists("batch job " + j.id + " already exists");
    return s;
  }

  Status UpdateBatchJob(std::string_view id, JobState state, std::string_view message,
                        const nlohmann::json& stats) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(
        auto st, db_->Prepare("UPDATE batch_jobs SET state=?, message=?, stats=?, updated_at=? "
                              "WHERE id=?"));
    st.Bind(1, JobStateName(state)).Bind(2, message).Bind(3, stats.dump()).Bind(4, NowMillis());
    st.Bind(5, id);
    STRM_RETURN_IF_ERROR(st.Run());
    if (db_->Changes() == 0) return NotFound("batch job " + std::string(id) + " does not exist");
    return Status::Ok();
  }

  Result<BatchJobRecord> GetBatchJob(std::string_view id) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string(kSelectJob) + " WHERE id=?"));
    st.Bind(1, id);
    STRM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("batch job " + std::string(id) + " does not exist");
    return ReadJob(st);
  }

  Result<std::vector<BatchJobRecord>> ListBatchJobs() override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st,
                          db_->Prepare(std::string(kSelectJob) + " ORDER BY created_at, id"));
    return Collect<BatchJobRecord>(st, [this](const SqliteStatement& r) { return ReadJob(r); });
  }

  Status DeleteBatchJob(std::string_view id) override {
    return DeleteWhere("batch_jobs", "id", id, "batch job " + std::string(id) + " does not exist");
  }

  Result<std::vector<DataKey>> GetOrCreateKeys(std::string_view group,
                                               const std::vector<KeyRequest>& requests) override {
    STRM_ASSIGN_OR_RETURN(auto writer, OpenKeyGroup(group));
    STRM_ASSIGN_OR_RETURN(auto keys, writer->GetOrCreate(requests));
    STRM_RETURN_IF_ERROR(writer->Flush());
    return keys;
  }

  Result<std::unique_ptr<KeyGroupWriter>> OpenKeyGroup(std::string_view group) override;

 private:
  static constexpr std::string_view kSelectConnector =
      "SELECT name, type, location, credentials, created_at FROM data_connectors";
  static constexpr std::string_view kSelectJob =
      "SELECT id, config, state, message, stats, created_at, updated_at FROM batch_jobs";

  Result<DataConnector> ReadConnector(const SqliteStatement& st) {
    DataConnector c;
    c.name = st.Text(0);
    c.type = st.Text(1);
    c.location = nlohmann::json::parse(st.Text(2), nullptr, false);
    if (!st.IsNull(3)) {
      STRM_ASSIGN_OR_RETURN(c.credentials, box_.Open(st.Blob(3), "data_connector/" + c.name));
    }
    c.created_at = st.Int(4);
    return c;
  }

  Result<BatchJobRecord> ReadJob(const SqliteStatement& st) {
    BatchJobRecord j;
    j.id = st.Text(0);
    STRM_ASSIGN_OR_RETURN(std::string config, box_.Open(st.Blob(1), "batch_job/" + j.id));
    j.config = nlohmann::json::parse(config, nullptr, false);
    STRM_ASSIGN_OR_RETURN(j.state, ParseJobState(st.Text(2)));
    j.message = st.Text(3);
    j.stats = nlohmann::json::parse(st.Text(4), nullptr, false);
    j.created_at = st.Int(5);
    j.updated_at = st.Int(6);
    return j;
  }

  static Result<DataContract> ParseContract(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) return Internal("catalog: a stored data contract is not valid JSON");
    return ContractFromJson(j);
  }

  Status DeleteWhere(std::string_view table, std::string_view column, std::string_view value,
                     std::string not_found) {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM " + std::string(table) + " WHERE " +
                                                std::string(column) + "=?"));
    st.Bind(1, value);
    STRM_RETURN_IF_ERROR(st.Run());
    if (db_->Changes() == 0) return NotFound(std::move(not_found));
    return Status::Ok();
  }

  friend class SqliteKeyGroupWriter;

  // Lookup ids are HMACs under the master key, so under a wrong key every lookup misses and
  // new keys would silently be made for data subjects that have keys: first check that an
  // existing key opens (PermissionDenied if not). Once one has opened, the key is right.
  Status CheckMasterKeyOpensKeys(SecretBox::Batch& box) {
    if (master_key_checked_) return Status::Ok();
    STRM_ASSIGN_OR_RETURN(auto st,
                          db_->Prepare("SELECT key_link, keyset FROM encryption_keys LIMIT 1"));
    STRM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      STRM_RETURN_IF_ERROR(box.Open(st.Blob(1), st.Text(0)).status());
      master_key_checked_ = true;
    }
    return Status::Ok();
  }

  bool master_key_checked_ = false;
  std::string home_;
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  SecretBox box_;
};

// One key group's writer (catalog.h). Exclusion across threads and processes is an OFD
// byte-range lock on $STRM_HOME/keygroups.lock at an offset derived from the group's lookup
// id: released by the kernel if the process dies, and two groups that share an offset only
// wait for each other, they never share keys.
class SqliteKeyGroupWriter final : public KeyGroupWriter {
 public:
  using Lookup = std::array<uint8_t, 28>;

  SqliteKeyGroupWriter(SqliteCatalog* catalog, std::string group, int lock_fd)
      : catalog_(catalog), group_(std::move(group)), lock_fd_(lock_fd) {}
  ~SqliteKeyGroupWriter() override {
    for (Pending& p : pending_) OPENSSL_cleanse(p.keyset.key.data(), p.keyset.key.size());
    ::close(lock_fd_);  // releases the lock
  }

  // Takes the lock, then notes whether the group has stored keys at all: if not, no other
  // writer can add any while this one lives, so lookups need not ask the database.
  static Result<std::unique_ptr<KeyGroupWriter>> Open(SqliteCatalog* catalog,
                                                      std::string_view group) {
    std::string message("group\0", 6);  // a literal "\0" would end the string
    message += group;
    const auto group_id = catalog->box_.LookupId(message);
    const std::string path = catalog->home_ + "/keygroups.lock";
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
    auto writer = std::make_unique<SqliteKeyGroupWriter>(catalog, std::string(group), fd);
    std::memcpy(writer->group_id_.data(), group_id.data(), writer->group_id_.size());
    std::lock_guard db_lock(catalog->mu_);
    STRM_ASSIGN_OR_RETURN(auto st, catalog->db_->Prepare("SELECT 1 FROM encryption_keys "
                                                         "WHERE lookup >= ? AND lookup <= ? "
                                                         "LIMIT 1"));
    Lookup low{}, high{};
    high.fill(0xff);
    std::memcpy(low.data(), group_id.data(), 8);
    std::memcpy(high.data(), group_id.data(), 8);
    st.BindBlob(1, low).BindBlob(2, high);
    STRM_ASSIGN_OR_RETURN(bool any, st.Step());
    writer->stored_at_open_ = any;
    return std::unique_ptr<KeyGroupWriter>(std::move(writer));
  }

  Result<std::vector<DataKey>> GetOrCreate(const std::vector<KeyRequest>& requests) override {
    std::lock_guard db_lock(catalog_->mu_);
    SecretBox::Batch box(catalog_->box_);
    STRM_RETURN_IF_ERROR(catalog_->CheckMasterKeyOpensKeys(box));
    std::optional<SqliteStatement> select;
    if (stored_at_open_ || flushed_count_ > 0) {
      STRM_ASSIGN_OR_RETURN(auto st,
                            catalog_->db_->Prepare("SELECT key_link, keyset, expires_at, policy_id "
                                                   "FROM encryption_keys WHERE lookup=?"));
      select.emplace(std::move(st));
    }
    std::vector<DataKey> out(requests.size());
    std::string message;
    Bytes random;  // drawn once for all the keys this call may create
    size_t used = 0;
    constexpr size_t kKey = 68, kLink = 16, kNonceSize = 12, kPerKey = kKey + kLink + kNonceSize;
    for (size_t i = 0; i < requests.size(); ++i) {
      const KeyRequest& r = requests[i];
      const Lookup lookup = MakeLookup(box, r, message);
      if (auto it = pending_index_.find(lookup); it != pending_index_.end()) {
        out[i] = pending_[it->second].Key();
        continue;
      }
      // A group without keys at open has only the keys this writer stored: the database
      // need only be asked for those (or a rare fingerprint collision).
      if (select && (stored_at_open_ || MaybeFlushed(lookup))) {
        select->Reset();
        select->BindBlob(1, lookup);
        STRM_ASSIGN_OR_RETURN(bool found, select->Step());
        if (found) {
          STRM_ASSIGN_OR_RETURN(out[i], ReadKey(box, *select));
          continue;
        }
      }
      if (random.empty()) {
        random.resize((requests.size() - i) * kPerKey);
        SecureRandom(random);
      }
      const uint8_t* rnd = random.data() + used;
      used += kPerKey;
      DataKey& key = out[i];
      key.keyset = TinkKeysetFromRandom(std::span<const uint8_t, kKey>(rnd, kKey));
      key.key_link = UuidV4FromRandom(std::span<const uint8_t, kLink>(rnd + kKey, kLink));
      key.expires_at = DefaultKeyExpiry(r.day);
      std::string raw = EncodeKey(key.keyset);
      Bytes sealed = box.Seal(raw, key.key_link,
                              std::span<const uint8_t, kNonceSize>(rnd + kKey + kLink, kNonceSize));
      OPENSSL_cleanse(raw.data(), raw.size());
      Pending& p = pending_.emplace_back();
      p.lookup = lookup;
      p.keyset = key.keyset;
      std::memcpy(p.key_link.data(), key.key_link.data(), p.key_link.size());
      std::memcpy(p.sealed.data(), sealed.data(), p.sealed.size());
      p.expires_at = key.expires_at;
      pending_index_.emplace(lookup, pending_.size() - 1);
    }
    OPENSSL_cleanse(random.data(), random.size());
    return out;
  }

  Status Flush() override {
    if (pending_.empty()) return Status::Ok();
    // In B-tree order: each page is written once per flush. (Indices: entries are large.)
    std::vector<uint32_t> order(pending_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [this](uint32_t a, uint32_t b) { return pending_[a].lookup < pending_[b].lookup; });
    std::lock_guard db_lock(catalog_->mu_);
    SqliteDb& db = *catalog_->db_;
    STRM_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    Status s = Insert(db, order);
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s;
    }
    STRM_RETURN_IF_ERROR(db.Exec("COMMIT"));
    for (Pending& p : pending_) {
      OPENSSL_cleanse(p.keyset.key.data(), p.keyset.key.size());
      AddFlushed(p.lookup);
    }
    pending_.clear();
    pending_index_.clear();
    return Status::Ok();
  }

  size_t pending() const override { return pending_.size(); }

 private:
  // A created key until Flush, in fixed-size fields (no heap): many thousands wait at once.
  struct Pending {
    Lookup lookup;
    TinkKeyset keyset;
    std::array<char, 36> key_link;
    std::array<uint8_t, 12 + 68 + 16> sealed;  // nonce ‖ EncodeKey ciphertext ‖ tag
    int64_t expires_at;
    DataKey Key() const {
      return {std::string(key_link.data(), key_link.size()), keyset, expires_at, ""};
    }
  };
  struct LookupHash {
    size_t operator()(const Lookup& l) const {
      size_t h;
      std::memcpy(&h, l.data() + 12, sizeof h);  // HMAC bytes: already uniform
      return h;
    }
  };

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

  static Result<DataKey> ReadKey(SecretBox::Batch& box, const SqliteStatement& st) {
    DataKey key;
    key.key_link = st.Text(0);
    STRM_ASSIGN_OR_RETURN(std::string raw, box.Open(st.Blob(1), key.key_link));
    auto keyset = DecodeKey(raw);
    OPENSSL_cleanse(raw.data(), raw.size());
    if (!keyset.ok()) return keyset.status();
    key.keyset = *keyset;
    key.expires_at = st.Int(2);
    key.policy_id = st.Text(3);
    return key;
  }

  // Many rows per statement: most of a one-row INSERT's cost is the statement, not the row.
  Status Insert(SqliteDb& db, const std::vector<uint32_t>& order) {
    constexpr size_t kRows = 64;
    const int64_t now = NowMillis();
    auto prepare = [&db](size_t rows) {
      std::string sql = "INSERT INTO encryption_keys VALUES (?,?,?,?,?,?)";
      for (size_t i = 1; i < rows; ++i) sql += ",(?,?,?,?,?,?)";
      return db.Prepare(sql);
    };
    STRM_ASSIGN_OR_RETURN(auto full, prepare(kRows));
    for (size_t at = 0; at < pending_.size();) {
      const size_t rows = std::min(kRows, pending_.size() - at);
      std::optional<SqliteStatement> tail;
      if (rows < kRows) {
        STRM_ASSIGN_OR_RETURN(auto st, prepare(rows));
        tail.emplace(std::move(st));
      }
      SqliteStatement& insert = tail ? *tail : full;
      insert.Reset();
      for (size_t r = 0; r < rows; ++r) {
        const Pending& p = pending_[order[at + r]];
        const int base = static_cast<int>(6 * r);
        insert.BindBlob(base + 1, p.lookup)
            .Bind(base + 2, std::string_view(p.key_link.data(), p.key_link.size()))
            .BindBlob(base + 3, p.sealed)
            .Bind(base + 4, p.expires_at)
            .Bind(base + 5, "")  // new keys have no policy
            .Bind(base + 6, now);
      }
      STRM_RETURN_IF_ERROR(insert.Run());
      at += rows;
    }
    return Status::Ok();
  }

  // 64 bits of the lookup's HMAC part, never 0 (the empty slot).
  static uint64_t Fingerprint(const Lookup& l) {
    uint64_t f;
    std::memcpy(&f, l.data() + 20, sizeof f);
    return f == 0 ? 1 : f;
  }
  bool MaybeFlushed(const Lookup& l) const {
    if (flushed_.empty()) return false;
    const uint64_t f = Fingerprint(l);
    const size_t mask = flushed_.size() - 1;
    for (size_t i = f & mask; flushed_[i] != 0; i = (i + 1) & mask)
      if (flushed_[i] == f) return true;
    return false;
  }
  void AddFlushed(const Lookup& l) {
    if ((flushed_count_ + 1) * 2 > flushed_.size()) {  // grow: load at most 1/2
      std::vector<uint64_t> old(std::max<size_t>(1024, flushed_.size() * 2), 0);
      old.swap(flushed_);
      flushed_count_ = 0;
      for (uint64_t f : old)
        if (f != 0) InsertFingerprint(f);
    }
    InsertFingerprint(Fingerprint(l));
  }
  void InsertFingerprint(uint64_t f) {
    const size_t mask = flushed_.size() - 1;
    size_t i = f & mask;
    while (flushed_[i] != 0 && flushed_[i] != f) i = (i + 1) & mask;
    if (flushed_[i] == 0) ++flushed_count_;
    flushed_[i] = f;
  }

  SqliteCatalog* catalog_;
  std::string group_;
  int lock_fd_;
  std::array<uint8_t, 16> group_id_{};
  bool stored_at_open_ = true;
  // Fingerprints of the keys this writer stored (open addressing), so that a group that
  // was empty at open needs no database lookup for keys that cannot exist yet.
  std::vector<uint64_t> flushed_;
  size_t flushed_count_ = 0;
  std::vector<Pending> pending_;
  std::unordered_map<Lookup, size_t, LookupHash> pending_index_;
};

Result<std::unique_ptr<KeyGroupWriter>> SqliteCatalog::OpenKeyGroup(std::string_view group) {
  return SqliteKeyGroupWriter::Open(this, group);
}

}  // namespace

std::string_view JobStateName(JobState s) { return kStateNames[static_cast<int>(s)]; }

Result<JobState> ParseJobState(std::string_view name) {
  for (int i = 0; i < 6; ++i)
    if (name == kStateNames[i]) return static_cast<JobState>(i);
  return InvalidArgument("unknown batch job state '" + std::string(name) + "'");
}

int64_t DefaultKeyExpiry(int64_t day) {
  using namespace date;
  year_month_day ymd{sys_days{days{day}}};
  year_month_day later = year{int(ymd.year()) + 7} / ymd.month() / ymd.day();
  if (!later.ok()) later = later.year() / later.month() / last;  // Feb 29 -> Feb 28
  return sys_days{later}.time_since_epoch().count() * int64_t{86400000};
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& home) {
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) return IoError("cannot create STRM_HOME " + home + ": " + ec.message());
  STRM_ASSIGN_OR_RETURN(auto master, LoadOrCreateMasterKey(home));
  STRM_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(home + "/catalog.db"));
  STRM_RETURN_IF_ERROR(db->Exec(kSchema));
  ::chmod((home + "/catalog.db").c_str(), 0600);
  return std::unique_ptr<Catalog>(new SqliteCatalog(home, std::move(db), SecretBox(master)));
}

}  // namespace strm
