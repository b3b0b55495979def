#include "catalog/sqlite_migrations.h"

#include <array>

namespace strm {
namespace {

// Append only: a migration that has shipped never changes, a new one goes at the end.
constexpr std::array kMigrations = {
    SqliteMigration{1, "connectors, contracts, batch jobs, the key store and the master key check",
                    R"sql(
CREATE TABLE IF NOT EXISTS data_connectors (
  name TEXT PRIMARY KEY, type TEXT NOT NULL, location TEXT NOT NULL,
  credentials BLOB, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS data_contracts (
  ref TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batch_jobs (
  id TEXT PRIMARY KEY, config BLOB NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL,
  stats TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
-- name -> value: 'master_key_check' holds a known text sealed with the master key.
CREATE TABLE IF NOT EXISTS catalog_meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
-- Keys one a row, as catalogs made before key_chunks (key_chunks.h) hold them; still read.
-- lookup = H(group)[8] ‖ day (4 bytes, big-endian) ‖ H(group, day, value)[16], so no
-- key-field value is stored; keyset = sealed key id (4 bytes, big-endian) ‖ 64-byte key.
CREATE TABLE IF NOT EXISTS encryption_keys (
  lookup BLOB PRIMARY KEY, key_link TEXT NOT NULL, keyset BLOB NOT NULL,
  expires_at INTEGER NOT NULL, policy_id TEXT NOT NULL, created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_chunks (
  group_id BLOB NOT NULL, day INTEGER NOT NULL, run INTEGER NOT NULL, first BLOB NOT NULL,
  sealed BLOB NOT NULL, PRIMARY KEY (group_id, day, run, first)
) WITHOUT ROWID;
)sql"},
    SqliteMigration{2, "API tokens of the server, stored as SHA-256 digests", R"sql(
-- A token is "strm_<id>_<secret>"; only the digest of the whole token is kept.
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, digest BLOB NOT NULL,
  created_at INTEGER NOT NULL, revoked_at INTEGER);
)sql"},
    SqliteMigration{3, "the input files of batch jobs that read many (watching jobs)", R"sql(
-- seq: order of appearance within the job; name: the object under the source's prefix.
CREATE TABLE batch_job_files (
  job_id TEXT NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
  name TEXT NOT NULL, seq INTEGER NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL,
  stats TEXT NOT NULL, first_seen INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, name));
CREATE UNIQUE INDEX batch_job_files_seq ON batch_job_files (job_id, seq);
)sql"},
    SqliteMigration{4, "streams, their whole records sealed", R"sql(
-- body: the record's JSON sealed with the master key (it holds client secrets and seeds).
CREATE TABLE streams (
  name TEXT PRIMARY KEY, linked_stream TEXT REFERENCES streams(name),
  body BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX streams_linked ON streams (linked_stream);
)sql"},
};

}  // namespace

std::span<const SqliteMigration> SqliteMigrations() { return kMigrations; }

int SqliteSchemaVersion() { return kMigrations.back().version; }

Result<int> SqliteCatalogVersion(SqliteDb& db) {
  STRM_ASSIGN_OR_RETURN(auto st, db.Prepare("PRAGMA user_version"));
  STRM_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<int>(st.Int(0)) : 0;
}

Status MigrateSqliteCatalog(SqliteDb& db, std::string_view path) {
  const int latest = SqliteSchemaVersion();
  STRM_ASSIGN_OR_RETURN(int before, SqliteCatalogVersion(db));
  auto too_new = [&](int version) {
    return FailedPrecondition("the catalog " + std::string(path) + " has schema version " +
                              std::to_string(version) + ", newer than this strm knows (" +
                              std::to_string(latest) +
                              "): it was written by a newer release; use that release or a "
                              "later one");
  };
  if (before > latest) return too_new(before);
  if (before == latest) return Status::Ok();
  // Another process may be migrating the same catalog: the write lock serialises the two, and
  // the version is read again under it.
  STRM_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Status s = [&]() -> Status {
    STRM_ASSIGN_OR_RETURN(int version, SqliteCatalogVersion(db));
    if (version > latest) return too_new(version);
    for (const SqliteMigration& m : kMigrations) {
      if (m.version <= version) continue;
      Status applied = db.Exec(m.sql);
      if (!applied.ok())
        return Internal("migration " + std::to_string(m.version) + " of the catalog " +
                        std::string(path) + " failed: " + applied.message());
    }
    return db.Exec("PRAGMA user_version = " + std::to_string(latest));
  }();
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok()) (void)db.Exec("ROLLBACK");
  return s;
}

}  // namespace strm
