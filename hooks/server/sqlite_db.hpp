#pragma once
// A thin handle on one SQLite database file under --data for the server's
// own state (attachments, export jobs): open in WAL with synchronous=FULL (a
// committed write survives a crash), prepared statements that finalize
// themselves, and a transaction that rolls back unless committed. Callers
// serialize access with their own mutex.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::server {

class SqliteDb {
 public:
  // Opens (creating) `file` and runs `schema` (CREATE ... IF NOT EXISTS).
  static fhir::Result<std::unique_ptr<SqliteDb>> open(const std::filesystem::path& file, const char* schema);
  ~SqliteDb() { sqlite3_close(db_); }
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* handle() const { return db_; }
  bool exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
  fhir::Error error(const std::string& what) const {
    return fhir::Error{500, fhir::IssueType::exception, what + ": " + sqlite3_errmsg(db_), ""};
  }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

class SqlStatement {
 public:
  SqlStatement(const SqliteDb& db, const char* sql) {
    ok_ = sqlite3_prepare_v2(db.handle(), sql, -1, &stmt_, nullptr) == SQLITE_OK;
  }
  ~SqlStatement() { sqlite3_finalize(stmt_); }
  SqlStatement(const SqlStatement&) = delete;
  SqlStatement& operator=(const SqlStatement&) = delete;

  bool ok() const { return ok_; }
  SqlStatement& bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  SqlStatement& bind_int(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  int step() { return ok_ ? sqlite3_step(stmt_) : SQLITE_ERROR; }
  bool run() { return step() == SQLITE_DONE; }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  bool ok_ = false;
};

class SqlTransaction {
 public:
  explicit SqlTransaction(SqliteDb& db) : db_(db) { begun_ = db_.exec("BEGIN IMMEDIATE"); }
  ~SqlTransaction() {
    if (begun_ && !committed_) db_.exec("ROLLBACK");
  }
  bool begun() const { return begun_; }
  bool commit() { return committed_ = db_.exec("COMMIT"); }

 private:
  SqliteDb& db_;
  bool begun_ = false;
  bool committed_ = false;
};

// "2026-11-22T03:15:00.123Z"
std::string utc_timestamp();

}  // namespace crdex::server
