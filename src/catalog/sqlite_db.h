// A thin RAII layer over SQLite: a connection and prepared statements whose errors come back
// as Status values naming the failing SQL. Not thread-safe: callers serialise access.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace strm {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement() { sqlite3_finalize(stmt_); }

  // Binds parameters 1..n in order; returns *this for chaining.
  SqliteStatement& Bind(int i, std::string_view text);
  SqliteStatement& Bind(int i, int64_t v);
  SqliteStatement& BindBlob(int i, std::span<const uint8_t> blob);
  SqliteStatement& BindNull(int i);
  // The same without SQLite's copy: the bytes must stay valid and unchanged until the
  // statement is next reset, rebound or destroyed (for bulk inserts).
  SqliteStatement& BindBorrowed(int i, std::string_view text);
  SqliteStatement& BindBlobBorrowed(int i, std::span<const uint8_t> blob);

  // true: a row is available; false: done.
  Result<bool> Step();
  // Runs to completion (for statements that return no rows).
  Status Run();
  void Reset();

  std::string Text(int col) const;
  int64_t Int(int col) const;
  std::span<const uint8_t> Blob(int col) const;
  bool IsNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  Status Exec(std::string_view sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  int64_t Changes() const { return sqlite3_changes64(db_); }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace strm
