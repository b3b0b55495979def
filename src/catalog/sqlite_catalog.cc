// The embedded catalog: SQLite in $STRM_HOME/catalog.db. See catalog.h.
#include <date/date.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "catalog/catalog.h"
#include "catalog/key_chunks.h"
#include "catalog/secret_box.h"
#include "catalog/sqlite_db.h"
#include "catalog/sqlite_key_group.h"
#include "catalog/sqlite_migrations.h"
#include "catalog/stream_record_json.h"
#include "privacy/builtin_contracts.h"

namespace strm {
namespace {

// Settings of the connection, on every open, before the migrations: the page size applies to
// a new catalog only (64 KiB: a checkpoint copies key chunks in few calls).
constexpr std::string_view kConnectionSettings = R"sql(
PRAGMA page_size = 65536;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -8192;
PRAGMA foreign_keys = ON;
)sql";

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
    if (FindBuiltinContract(c.ref) != nullptr)
      return AlreadyExists("data contract " + c.ref.ToString() + " is built in");
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO data_contracts VALUES (?,?,?)"));
    st.Bind(1, c.ref.ToString()).Bind(2, ContractToJson(c).dump()).Bind(3, NowMillis());
    Status s = st.Run();
    if (s.code() == StatusCode::kAlreadyExists)
      return AlreadyExists("data contract " + c.ref.ToString() + " already exists");
    return s;
  }

  Result<DataContract> GetDataContract(const ContractRef& ref) override {
    if (const DataContract* builtin = FindBuiltinContract(ref)) return *builtin;
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
    STRM_ASSIGN_OR_RETURN(auto stored, Collect<DataContract>(st, [](const SqliteStatement& r) {
                            return ParseContract(r.Text(0));
                          }));
    stored.insert(stored.end(), BuiltinContracts().begin(), BuiltinContracts().end());
    std::sort(stored.begin(), stored.end(), [](const DataContract& a, const DataContract& b) {
      return a.ref.ToString() < b.ref.ToString();
    });
    return stored;
  }

  Status DeleteDataContract(const ContractRef& ref) override {
    if (FindBuiltinContract(ref) != nullptr)
      return FailedPrecondition("data contract " + ref.ToString() +
                                " is built in; it cannot be deleted");
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

  Result<std::vector<BatchJobFile>> AddBatchJobFiles(
      std::string_view job_id, const std::vector<std::string>& names) override {
    std::lock_guard lock(mu_);
    STRM_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    auto added = [&]() -> Result<std::vector<BatchJobFile>> {
      STRM_ASSIGN_OR_RETURN(
          auto last,
          db_->Prepare("SELECT COALESCE(MAX(seq), 0) FROM batch_job_files WHERE job_id=?"));
      last.Bind(1, job_id);
      STRM_ASSIGN_OR_RETURN(bool row, last.Step());
      int64_t seq = row ? last.Int(0) : 0;
      STRM_ASSIGN_OR_RETURN(auto insert,
                            db_->Prepare("INSERT INTO batch_job_files VALUES (?,?,?,?,?,?,?,?) "
                                         "ON CONFLICT (job_id, name) DO NOTHING"));
      std::vector<BatchJobFile> out;
      const int64_t now = NowMillis();
      for (const std::string& name : names) {
        BatchJobFile f{name, seq + 1, JobFileState::kNew, "", nlohmann::json::object(), now, now};
        insert.Reset();
        insert.Bind(1, job_id).Bind(2, f.name).Bind(3, f.seq).Bind(4, JobFileStateName(f.state));
        insert.Bind(5, f.message).Bind(6, f.stats.dump()).Bind(7, now).Bind(8, now);
        Status s = insert.Run();
        if (s.code() == StatusCode::kAlreadyExists)  // the name's conflict does nothing: no job
          return NotFound("batch job " + std::string(job_id) + " does not exist");
        STRM_RETURN_IF_ERROR(s);
        if (db_->Changes() == 0) continue;  // known already
        ++seq;
        out.push_back(std::move(f));
      }
      return out;
    }();
    Status done = added.ok() ? db_->Exec("COMMIT") : db_->Exec("ROLLBACK");
    if (!added.ok()) return added.status();
    STRM_RETURN_IF_ERROR(done);
    return added;
  }

  Status UpdateBatchJobFile(std::string_view job_id, const BatchJobFile& f) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("UPDATE batch_job_files SET state=?, message=?, "
                                                "stats=?, updated_at=? WHERE job_id=? AND name=?"));
    st.Bind(1, JobFileStateName(f.state)).Bind(2, f.message).Bind(3, f.stats.dump());
    st.Bind(4, NowMillis()).Bind(5, job_id).Bind(6, f.name);
    STRM_RETURN_IF_ERROR(st.Run());
    if (db_->Changes() == 0)
      return NotFound("batch job " + std::string(job_id) + " has no file '" + f.name + "'");
    return Status::Ok();
  }

  Result<std::vector<BatchJobFile>> ListBatchJobFiles(std::string_view job_id) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT name, seq, state, message, stats, "
                                                "first_seen, updated_at FROM batch_job_files "
                                                "WHERE job_id=? ORDER BY seq"));
    st.Bind(1, job_id);
    return Collect<BatchJobFile>(st, [](const SqliteStatement& r) -> Result<BatchJobFile> {
      BatchJobFile f;
      f.name = r.Text(0);
      f.seq = r.Int(1);
      STRM_ASSIGN_OR_RETURN(f.state, ParseJobFileState(r.Text(2)));
      f.message = r.Text(3);
      f.stats = nlohmann::json::parse(r.Text(4), nullptr, false);
      f.first_seen = r.Int(5);
      f.updated_at = r.Int(6);
      return f;
    });
  }

  Status CreateStream(const StreamRecord& stream) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO streams VALUES (?,?,?,?)"));
    st.Bind(1, stream.name);
    if (stream.linked_stream.empty()) {
      st.BindNull(2);
    } else {
      st.Bind(2, stream.linked_stream);
    }
    st.BindBlob(3, box_.Seal(StreamToStoredJson(stream), "stream/" + stream.name));
    st.Bind(4, stream.created_at);
    Status s = st.Run();
    if (s.code() != StatusCode::kAlreadyExists) return s;
    // A constraint: the name is taken, or the linked stream does not exist.
    STRM_ASSIGN_OR_RETURN(auto exists, db_->Prepare("SELECT 1 FROM streams WHERE name=?"));
    exists.Bind(1, stream.name);
    STRM_ASSIGN_OR_RETURN(bool taken, exists.Step());
    if (taken) return AlreadyExists("stream " + stream.name + " already exists");
    return NotFound("stream " + stream.linked_stream + " does not exist");
  }

  Result<StreamRecord> GetStream(std::string_view name) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st,
                          db_->Prepare("SELECT name, body, created_at FROM streams WHERE name=?"));
    st.Bind(1, name);
    STRM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("stream " + std::string(name) + " does not exist");
    return ReadStream(st);
  }

  Result<std::vector<StreamRecord>> ListStreams() override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st,
                          db_->Prepare("SELECT name, body, created_at FROM streams ORDER BY name"));
    return Collect<StreamRecord>(st, [this](const SqliteStatement& r) { return ReadStream(r); });
  }

  Status DeleteStream(std::string_view name) override {
    {
      std::lock_guard lock(mu_);
      STRM_ASSIGN_OR_RETURN(
          auto st, db_->Prepare("SELECT name FROM streams WHERE linked_stream=? ORDER BY name"));
      st.Bind(1, name);
      std::string derived;
      for (;;) {
        STRM_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        derived += (derived.empty() ? "" : ", ") + st.Text(0);
      }
      if (!derived.empty())
        return FailedPrecondition("stream " + std::string(name) + " has derived streams (" +
                                  derived + "); delete them first");
    }
    return DeleteWhere("streams", "name", name, "stream " + std::string(name) + " does not exist");
  }

  Status CreateApiToken(const ApiToken& t) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO api_tokens VALUES (?,?,?,?,?)"));
    st.Bind(1, t.id).Bind(2, t.name).BindBlob(3, t.digest).Bind(4, t.created_at);
    if (t.revoked_at) {
      st.Bind(5, *t.revoked_at);
    } else {
      st.BindNull(5);
    }
    Status s = st.Run();
    if (s.code() == StatusCode::kAlreadyExists)
      return AlreadyExists("API token " + t.id + " already exists");
    return s;
  }

  Result<ApiToken> GetApiToken(std::string_view id) override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare(std::string(kSelectToken) + " WHERE id=?"));
    st.Bind(1, id);
    STRM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("API token " + std::string(id) + " does not exist");
    return ReadToken(st);
  }

  Result<std::vector<ApiToken>> ListApiTokens() override {
    std::lock_guard lock(mu_);
    STRM_ASSIGN_OR_RETURN(auto st,
                          db_->Prepare(std::string(kSelectToken) + " ORDER BY created_at, id"));
    return Collect<ApiToken>(st, [](const SqliteStatement& r) { return ReadToken(r); });
  }

  Status RevokeApiToken(std::string_view id_or_name, int64_t at) override {
    std::lock_guard lock(mu_);
    // By id; else the ids of the tokens so named, of which there must be one.
    std::string id(id_or_name);
    STRM_ASSIGN_OR_RETURN(auto by_id, db_->Prepare("SELECT 1 FROM api_tokens WHERE id=?"));
    by_id.Bind(1, id_or_name);
    STRM_ASSIGN_OR_RETURN(bool found, by_id.Step());
    if (!found) {
      STRM_ASSIGN_OR_RETURN(auto by_name,
                            db_->Prepare("SELECT id FROM api_tokens WHERE name=? ORDER BY id"));
      by_name.Bind(1, id_or_name);
      std::vector<std::string> ids;
      for (;;) {
        STRM_ASSIGN_OR_RETURN(bool row, by_name.Step());
        if (!row) break;
        ids.push_back(by_name.Text(0));
      }
      if (ids.empty())
        return NotFound("no API token has the id or name '" + std::string(id_or_name) + "'");
      if (ids.size() > 1) {
        std::string list;
        for (const auto& i : ids) list += (list.empty() ? "" : ", ") + i;
        return FailedPrecondition(std::to_string(ids.size()) + " API tokens are named '" +
                                  std::string(id_or_name) + "' (" + list + "); revoke one by id");
      }
      id = ids.front();
    }
    STRM_ASSIGN_OR_RETURN(
        auto st,
        db_->Prepare("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id=?"));
    st.Bind(1, at).Bind(2, id);
    return st.Run();
  }

  Result<std::vector<DataKey>> GetOrCreateKeys(std::string_view group,
                                               const std::vector<KeyRequest>& requests) override {
    STRM_ASSIGN_OR_RETURN(auto writer, OpenKeyGroup(group));
    std::vector<KeyLookup> lookups;
    for (const KeyRequest& r : requests) lookups.push_back(writer->Lookup(r.value, r.day));
    std::vector<std::optional<DataKey>> stored(requests.size());
    STRM_RETURN_IF_ERROR(writer->FindStored(lookups, stored));
    std::map<KeyLookup, size_t> made;  // lookup -> its key in `keys`
    std::vector<DataKey> keys(requests.size());
    std::vector<KeyLookup> new_lookups;
    std::vector<DataKey> new_keys;
    for (size_t i = 0; i < requests.size(); ++i) {
      if (stored[i]) {
        keys[i] = std::move(*stored[i]);
      } else if (auto it = made.find(lookups[i]); it != made.end()) {
        keys[i] = new_keys[it->second];
      } else {
        std::array<uint8_t, kNewKeyRandomBytes> random;
        SecureRandom(random);
        keys[i] = NewDataKey(random, requests[i].day);
        made.emplace(lookups[i], new_keys.size());
        new_lookups.push_back(lookups[i]);
        new_keys.push_back(keys[i]);
      }
    }
    STRM_RETURN_IF_ERROR(writer->AddNew(new_lookups, new_keys));
    STRM_RETURN_IF_ERROR(writer->Flush());
    return keys;
  }

  using Catalog::OpenKeyGroup;
  Result<std::unique_ptr<KeyGroupWriter>> OpenKeyGroup(std::string_view group,
                                                       KeyGroupOptions options) override;

 private:
  static constexpr std::string_view kSelectConnector =
      "SELECT name, type, location, credentials, created_at FROM data_connectors";
  static constexpr std::string_view kSelectJob =
      "SELECT id, config, state, message, stats, created_at, updated_at FROM batch_jobs";

  static constexpr std::string_view kSelectToken =
      "SELECT id, name, digest, created_at, revoked_at FROM api_tokens";

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

  Result<StreamRecord> ReadStream(const SqliteStatement& st) {
    const std::string name = st.Text(0);
    STRM_ASSIGN_OR_RETURN(std::string body, box_.Open(st.Blob(1), "stream/" + name));
    return StreamFromStoredJson(name, st.Int(2), body);
  }

  static Result<ApiToken> ReadToken(const SqliteStatement& st) {
    ApiToken t;
    t.id = st.Text(0);
    t.name = st.Text(1);
    std::span<const uint8_t> digest = st.Blob(2);
    if (digest.size() != t.digest.size())
      return Internal("catalog: the stored digest of API token " + t.id + " is not 32 bytes");
    std::copy(digest.begin(), digest.end(), t.digest.begin());
    t.created_at = st.Int(3);
    if (!st.IsNull(4)) t.revoked_at = st.Int(4);
    return t;
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

  std::string home_;
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  SecretBox box_;
};

Result<std::unique_ptr<KeyGroupWriter>> SqliteCatalog::OpenKeyGroup(std::string_view group,
                                                                    KeyGroupOptions options) {
  return OpenSqliteKeyGroup({db_.get(), &mu_, &box_, home_}, group, options);
}

constexpr std::string_view kCheckName = "master_key_check";
constexpr std::string_view kCheckText = "strm master key check";

Result<bool> HoldsSealedData(SqliteDb& db) {
  STRM_ASSIGN_OR_RETURN(
      auto st, db.Prepare("SELECT EXISTS (SELECT 1 FROM catalog_meta) OR "
                          "EXISTS (SELECT 1 FROM data_connectors WHERE credentials IS NOT NULL) OR "
                          "EXISTS (SELECT 1 FROM batch_jobs) OR "
                          "EXISTS (SELECT 1 FROM encryption_keys) OR "
                          "EXISTS (SELECT 1 FROM key_chunks)"));
  STRM_ASSIGN_OR_RETURN(bool row, st.Step());
  return row && st.Int(0) != 0;
}

Status WrongMasterKey(const std::string& home) {
  return PermissionDenied("the master key is not the one the catalog in " + home +
                          " was made with (check STRM_MASTER_KEY or " + home +
                          "/master.key); nothing was read or written");
}

// One sealed value of `sql`'s first row (value, context) opens with `box`, if there is a row.
Status OpensOne(SqliteDb& db, const SecretBox& box, const std::string& sql,
                const std::string& home) {
  STRM_ASSIGN_OR_RETURN(auto st, db.Prepare(sql));
  STRM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (row && !box.Open(st.Blob(0), st.Text(1)).ok()) return WrongMasterKey(home);
  return Status::Ok();
}

// The master key's check value: a known text sealed with the key. A catalog without one (new,
// or made before there were check values) gets one, once what it holds has been opened with
// the key; from then on a wrong key is refused here, before any record is read or written.
Status CheckMasterKey(SqliteDb& db, const SecretBox& box, const std::string& home) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    STRM_ASSIGN_OR_RETURN(auto get, db.Prepare("SELECT value FROM catalog_meta WHERE name = ?"));
    get.Bind(1, kCheckName);
    STRM_ASSIGN_OR_RETURN(bool row, get.Step());
    if (row) {
      auto text = box.Open(get.Blob(0), kCheckName);
      if (!text.ok() || *text != kCheckText) return WrongMasterKey(home);
      return Status::Ok();
    }
    STRM_RETURN_IF_ERROR(
        OpensOne(db, box,
                 "SELECT credentials, 'data_connector/' || name FROM data_connectors "
                 "WHERE credentials IS NOT NULL LIMIT 1",
                 home));
    STRM_RETURN_IF_ERROR(
        OpensOne(db, box, "SELECT config, 'batch_job/' || id FROM batch_jobs LIMIT 1", home));
    STRM_RETURN_IF_ERROR(
        OpensOne(db, box, "SELECT keyset, key_link FROM encryption_keys LIMIT 1", home));
    STRM_RETURN_IF_ERROR(OpensOne(
        db, box, "SELECT sealed, " + std::string(kChunkContextSql) + " FROM key_chunks LIMIT 1",
        home));
    // Another process may insert its own check at the same time: the first one stays, and the
    // loop reads it back.
    STRM_ASSIGN_OR_RETURN(auto put, db.Prepare("INSERT OR IGNORE INTO catalog_meta VALUES (?, ?)"));
    put.Bind(1, kCheckName).BindBlob(2, box.Seal(kCheckText, kCheckName));
    STRM_RETURN_IF_ERROR(put.Run());
  }
  return Internal("the master key check of the catalog in " + home + " cannot be read back");
}

}  // namespace

Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& home) {
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) return IoError("cannot create STRM_HOME " + home + ": " + ec.message());
  STRM_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(home + "/catalog.db"));
  STRM_RETURN_IF_ERROR(db->Exec(kConnectionSettings));
  STRM_RETURN_IF_ERROR(MigrateSqliteCatalog(*db, home + "/catalog.db"));
  // SQLite checkpoints the WAL once it holds this many pages: 32 MiB whatever the page size
  // (64 KiB in new catalogs, 4 KiB in older ones).
  {
    STRM_ASSIGN_OR_RETURN(auto page_size, db->Prepare("PRAGMA page_size"));
    STRM_ASSIGN_OR_RETURN(bool has_page_size, page_size.Step());
    const int64_t bytes = has_page_size && page_size.Int(0) > 0 ? page_size.Int(0) : 4096;
    STRM_RETURN_IF_ERROR(
        db->Exec("PRAGMA wal_autocheckpoint = " + std::to_string((int64_t{32} << 20) / bytes)));
  }
  ::chmod((home + "/catalog.db").c_str(), 0600);
  // A catalog that holds something sealed has a master key already: never make a new one.
  STRM_ASSIGN_OR_RETURN(bool sealed, HoldsSealedData(*db));
  STRM_ASSIGN_OR_RETURN(auto master, LoadOrCreateMasterKey(home, !sealed));
  SecretBox box(master);
  STRM_RETURN_IF_ERROR(CheckMasterKey(*db, box, home));
  return std::unique_ptr<Catalog>(new SqliteCatalog(home, std::move(db), box));
}

}  // namespace strm
