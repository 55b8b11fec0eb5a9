#pragma once
// The audit database (--data DIR/audit.sqlite): its schema, and the small
// SQLite helpers the audit and feedback stores share. Each store opens its
// own connection; WAL lets the audit writer thread and the readers (admin
// API, feedback) work side by side.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::hooks::detail {

// Opens (creating if needed) the database with the whole audit schema.
fhir::Result<sqlite3*> open_audit_database(const std::filesystem::path& file);

fhir::Error audit_error(sqlite3* db, const std::string& what);

bool exec(sqlite3* db, const char* sql);

// A prepared statement that finalizes itself. Text is bound by copy.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) == SQLITE_OK; }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return ok_; }
  Statement& bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Binds NULL for an empty text (absent hookInstance, patient, ...).
  Statement& bind_or_null(int index, std::string_view text) {
    if (text.empty()) sqlite3_bind_null(stmt_, index);
    else bind(index, text);
    return *this;
  }
  Statement& bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  bool ok_ = false;
};

// Rolls back unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { begun_ = exec(db_, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (begun_ && !committed_) exec(db_, "ROLLBACK");
  }
  bool begun() const { return begun_; }
  bool commit() { return committed_ = exec(db_, "COMMIT"); }

 private:
  sqlite3* db_;
  bool begun_ = false;
  bool committed_ = false;
};

}  // namespace crdex::hooks::detail
