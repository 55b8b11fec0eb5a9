#pragma once
// The embedded SQLite stores' common ground: one connection to a store's file,
// opened the way every crdex store opens it (created when missing, WAL journal
// so readers never block the writer, a busy timeout for the writer another
// connection or process may be holding, the store's schema run once), prepared
// statements that finalize themselves, and a transaction that rolls back unless
// committed. Failures come back as Error values naming the store and SQLite's
// own reason ("rule store: cannot store the version: database is locked").
//
// It lives in fhir/ because that is the only layer beneath every store: the
// rule store (config/), the audit log and CDex Tasks (hooks/), SMART launches
// (smart-launch/, which sees nothing but fhir/), attachments and export jobs
// (crdex-server).
//
// [not concurrent on the same database]: each store runs one statement
// sequence at a time on its connection, behind its own mutex.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace crdex::fhir {

// How a store trades durability for write speed.
enum class SqliteSync {
  full,    // a committed transaction survives a power loss
  normal,  // survives a crash of crdex; a power loss may drop the last commits
};

// What differs between the stores; the defaults are what most of them use.
struct SqliteOptions {
  // Names the store in every error: "<name>: cannot ...".
  std::string name;
  int busy_timeout_ms = 10'000;
  SqliteSync synchronous = SqliteSync::full;
  bool foreign_keys = true;
  // SQLite's own mutex on the connection (FULLMUTEX) besides the store's;
  // false opens it NOMUTEX, the store's mutex being the only guard.
  bool serialized = true;
};

class SqliteDatabase {
 public:
  // Opens `file` (creating it), applies `options` and runs `schema` (CREATE
  // ... IF NOT EXISTS statements).
  static Result<std::unique_ptr<SqliteDatabase>> open(const std::filesystem::path& file, const char* schema,
                                                      SqliteOptions options);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Runs one or more statements that return no rows.
  bool exec(const char* sql);
  // "<name>: <what>: <SQLite's last message on this connection>" as a 500.
  Error error(std::string_view what) const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;
  int64_t last_insert_rowid() const;
  sqlite3* handle() const { return db_; }
  // Defines the SQL function uuid_key(x) on this connection: the 16 bytes of
  // a canonical UUID text as a blob (fhir::uuid_bytes), any other value as it
  // is; for stores that keep uuids as blobs and join them with text.
  bool define_uuid_key_function();

 private:
  SqliteDatabase(sqlite3* db, std::string name) : db_(db), name_(std::move(name)) {}
  sqlite3* db_;
  std::string name_;
};

enum class SqliteStep { row, done, failed };

// A prepared statement that finalizes itself. Text is bound by copy. A
// statement that failed to prepare binds nothing and steps to `failed`, so a
// caller may check ok() up front or only the step.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDatabase& db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  SqliteStatement& bind(int index, std::string_view text);
  SqliteStatement& bind(int index, int64_t value);
  // Binds NULL for an empty text (an absent hookInstance, patient, ...).
  SqliteStatement& bind_or_null(int index, std::string_view text);
  // Binds the bytes as a BLOB; NULL when empty.
  SqliteStatement& bind_blob_or_null(int index, std::string_view bytes);
  SqliteStep step();
  // Steps a statement that returns no rows; true when it ran to the end.
  bool run() { return step() == SqliteStep::done; }
  // Ready to run again with new bindings.
  void reset();
  // Steps through the rows, calling on_row(*this) for each; true when it ran
  // to the end, false when a step failed.
  template <class OnRow>
  bool each_row(OnRow&& on_row) {
    SqliteStep rc;
    while ((rc = step()) == SqliteStep::row) on_row(static_cast<const SqliteStatement&>(*this));
    return rc == SqliteStep::done;
  }

  std::string text(int column) const;  // "" for NULL
  std::string blob(int column) const;  // the bytes of a BLOB (or a text); "" for NULL
  int64_t integer(int column) const;   // 0 for NULL
  bool is_null(int column) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE (the write lock up front, so a transaction never fails
// half-way on a lock upgrade); rolls back unless commit() succeeded.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDatabase& db) : db_(db) { begun_ = db_.exec("BEGIN IMMEDIATE"); }
  ~SqliteTransaction() {
    if (begun_ && !committed_) db_.exec("ROLLBACK");
  }
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  bool begun() const { return begun_; }
  bool commit() { return committed_ = db_.exec("COMMIT"); }

 private:
  SqliteDatabase& db_;
  bool begun_ = false;
  bool committed_ = false;
};

}  // namespace crdex::fhir
