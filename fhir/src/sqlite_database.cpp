#include "crdex/fhir/sqlite_database.hpp"

#include <sqlite3.h>

#include "crdex/fhir/identifiers.hpp"

namespace crdex::fhir {

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::filesystem::path& file, const char* schema,
                                                             SqliteOptions options) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                    (options.serialized ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX);
  if (sqlite3_open_v2(file.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
    const std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return Error{500, IssueType::exception, file.string() + ": cannot open the " + options.name + ": " + message, ""};
  }
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(raw, std::move(options.name)));
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  const char* synchronous =
      options.synchronous == SqliteSync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (!db->exec("PRAGMA journal_mode=WAL") || !db->exec(synchronous) ||
      (options.foreign_keys && !db->exec("PRAGMA foreign_keys=ON")) || !db->exec(schema))
    return db->error("cannot prepare " + file.string());
  return db;
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close(db_); }

bool SqliteDatabase::exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

Error SqliteDatabase::error(std::string_view what) const {
  return Error{500, IssueType::exception, name_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_), ""};
}

int64_t SqliteDatabase::changes() const { return sqlite3_changes(db_); }

int64_t SqliteDatabase::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

bool SqliteDatabase::define_uuid_key_function() {
  const auto uuid_key = [](sqlite3_context* context, int, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_TEXT) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
      const auto size = static_cast<size_t>(sqlite3_value_bytes(argv[0]));
      if (auto bytes = uuid_bytes(std::string_view(text, size))) {
        sqlite3_result_blob(context, bytes->data(), static_cast<int>(bytes->size()), SQLITE_TRANSIENT);
        return;
      }
    }
    sqlite3_result_value(context, argv[0]);
  };
  return sqlite3_create_function_v2(db_, "uuid_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                    nullptr, uuid_key, nullptr, nullptr, nullptr) == SQLITE_OK;
}

SqliteStatement::SqliteStatement(SqliteDatabase& db, std::string_view sql) {
  if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
  if (stmt_) sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, int64_t value) {
  if (stmt_) sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::bind_or_null(int index, std::string_view text) {
  if (!text.empty()) return bind(index, text);
  if (stmt_) sqlite3_bind_null(stmt_, index);
  return *this;
}

SqliteStatement& SqliteStatement::bind_blob_or_null(int index, std::string_view bytes) {
  if (!stmt_) return *this;
  if (bytes.empty())
    sqlite3_bind_null(stmt_, index);
  else
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStep SqliteStatement::step() {
  if (!stmt_) return SqliteStep::failed;
  switch (sqlite3_step(stmt_)) {
    case SQLITE_ROW: return SqliteStep::row;
    case SQLITE_DONE: return SqliteStep::done;
    default: return SqliteStep::failed;
  }
}

void SqliteStatement::reset() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string SqliteStatement::text(int column) const {
  if (!stmt_) return {};
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

std::string SqliteStatement::blob(int column) const {
  if (!stmt_) return {};
  const auto* p = sqlite3_column_blob(stmt_, column);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

int64_t SqliteStatement::integer(int column) const { return stmt_ ? sqlite3_column_int64(stmt_, column) : 0; }

bool SqliteStatement::is_null(int column) const {
  return !stmt_ || sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

}  // namespace crdex::fhir
