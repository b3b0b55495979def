// The SQLite catalog's KeyGroupWriter (catalog.h), kept apart from the catalog's other
// tables. Internal to src/catalog.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "catalog/secret_box.h"
#include "catalog/sqlite_db.h"

namespace strm {

// What a writer needs of its catalog, which must outlive it: the connection and the mutex
// that serialises every use of it, the secret box, and $STRM_HOME (for the lock file).
struct SqliteKeyStore {
  SqliteDb* db;
  std::mutex* db_mu;
  const SecretBox* box;
  std::string home;
};

// Waits for the group's lock, then returns its writer.
Result<std::unique_ptr<KeyGroupWriter>> OpenSqliteKeyGroup(const SqliteKeyStore& store,
                                                           std::string_view group,
                                                           KeyGroupOptions options);

}  // namespace strm
