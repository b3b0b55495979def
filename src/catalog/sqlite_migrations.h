// The embedded catalog's schema as numbered migrations. `PRAGMA user_version` holds the number
// of the last migration applied; a catalog made before migrations were numbered has 0 and the
// tables of migration 1, which creates them only if they are missing.
//
// MigrateSqliteCatalog applies the missing migrations at open, in one IMMEDIATE transaction
// (two processes opening one new catalog apply each migration once), and refuses a catalog
// whose version is newer than this binary's before anything is read or written. Connection
// settings (page size, WAL) are not migrations: they are set before, on every open.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "catalog/sqlite_db.h"
#include "core/status.h"

namespace strm {

struct SqliteMigration {
  int version;            // 1, 2, ... in order, no gaps
  std::string_view what;  // one line, for the docs and the log
  std::string_view sql;
};

std::span<const SqliteMigration> SqliteMigrations();
int SqliteSchemaVersion();  // the last migration's version

// Brings `db` (the catalog at `path`, named in messages) to SqliteSchemaVersion().
// FailedPrecondition if the catalog is newer than this binary.
Status MigrateSqliteCatalog(SqliteDb& db, std::string_view path);

// The catalog's version (PRAGMA user_version).
Result<int> SqliteCatalogVersion(SqliteDb& db);

}  // namespace strm
