#include "crdex/hooks/cdex/task_store.hpp"

#include <sqlite3.h>

namespace crdex::hooks::cdex {

namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS source_tasks (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  id       TEXT NOT NULL UNIQUE,
  status   TEXT NOT NULL,
  document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS consumer_requests (
  id                  TEXT PRIMARY KEY,
  source              TEXT NOT NULL,
  remote_id           TEXT NOT NULL,
  status              TEXT NOT NULL,
  status_reason       TEXT NOT NULL,
  created_ms          INTEGER NOT NULL,
  last_poll_offset_ms INTEGER NOT NULL,
  next_poll_ms        INTEGER NOT NULL,
  polls               INTEGER NOT NULL,
  task                TEXT NOT NULL,
  outputs             TEXT NOT NULL,
  problem             TEXT NOT NULL
);
)sql";

// A prepared statement that finalizes itself.
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
  Statement& bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
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

constexpr const char* kRequestColumns =
    "id, source, remote_id, status, status_reason, created_ms, last_poll_offset_ms, next_poll_ms, polls, task, "
    "outputs, problem";

ConsumerRequestRow read_request(const Statement& s) {
  return {s.text(0),    s.text(1),    s.text(2),
          s.text(3),    s.text(4),    s.integer(5),
          s.integer(6), s.integer(7), static_cast<int>(s.integer(8)),
          s.text(9),    s.text(10),   s.text(11)};
}

}  // namespace

fhir::Result<std::shared_ptr<TaskStore>> TaskStore::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(file.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fhir::Error{500, fhir::IssueType::exception, file.string() + ": cannot open the CDex task store: " + message, ""};
  }
  sqlite3_busy_timeout(db, 10'000);
  std::shared_ptr<TaskStore> store(new TaskStore(db));
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK)
    return store->error(file.string() + ": cannot create the tables");
  return store;
}

TaskStore::~TaskStore() { sqlite3_close(db_); }

fhir::Error TaskStore::error(const std::string& what) const {
  return fhir::Error{500, fhir::IssueType::exception, "CDex task store: " + what + ": " + sqlite3_errmsg(db_), ""};
}

fhir::Result<bool> TaskStore::insert_source(const SourceTaskRow& row) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "INSERT INTO source_tasks (id, status, document) VALUES (?1, ?2, ?3)");
  if (!s.ok() || s.bind(1, row.id).bind(2, row.status).bind(3, row.document).step() != SQLITE_DONE)
    return error("cannot store Task " + row.id);
  return true;
}

fhir::Result<bool> TaskStore::update_source(const SourceTaskRow& row, const std::string& expected_status) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "UPDATE source_tasks SET status = ?2, document = ?3 WHERE id = ?1 AND status = ?4");
  if (!s.ok() || s.bind(1, row.id).bind(2, row.status).bind(3, row.document).bind(4, expected_status).step() !=
                     SQLITE_DONE)
    return error("cannot update Task " + row.id);
  return sqlite3_changes(db_) == 1;
}

fhir::Result<std::optional<SourceTaskRow>> TaskStore::source(const std::string& id) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT id, status, document FROM source_tasks WHERE id = ?1");
  if (!s.ok()) return error("cannot read Task " + id);
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<SourceTaskRow>();
  if (rc != SQLITE_ROW) return error("cannot read Task " + id);
  return std::optional<SourceTaskRow>(SourceTaskRow{s.text(0), s.text(1), s.text(2)});
}

fhir::Result<std::vector<SourceTaskRow>> TaskStore::sources(const std::string& status) {
  std::lock_guard lock(mutex_);
  Statement s(db_, status.empty() ? "SELECT id, status, document FROM source_tasks ORDER BY seq"
                                  : "SELECT id, status, document FROM source_tasks WHERE status = ?1 ORDER BY seq");
  if (!s.ok()) return error("cannot list Tasks");
  if (!status.empty()) s.bind(1, status);
  std::vector<SourceTaskRow> rows;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) rows.push_back({s.text(0), s.text(1), s.text(2)});
  if (rc != SQLITE_DONE) return error("cannot list Tasks");
  return rows;
}

fhir::Result<bool> TaskStore::save_request(const ConsumerRequestRow& row) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "INSERT OR REPLACE INTO consumer_requests (id, source, remote_id, status, status_reason, "
                   "created_ms, last_poll_offset_ms, next_poll_ms, polls, task, outputs, problem) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!s.ok()) return error("cannot store request " + row.id);
  s.bind(1, row.id).bind(2, row.source).bind(3, row.remote_id).bind(4, row.status).bind(5, row.status_reason);
  s.bind(6, row.created_ms).bind(7, row.last_poll_offset_ms).bind(8, row.next_poll_ms);
  s.bind(9, static_cast<int64_t>(row.polls)).bind(10, row.task).bind(11, row.outputs).bind(12, row.problem);
  if (s.step() != SQLITE_DONE) return error("cannot store request " + row.id);
  return true;
}

fhir::Result<std::optional<ConsumerRequestRow>> TaskStore::request(const std::string& id) {
  std::lock_guard lock(mutex_);
  Statement s(db_, (std::string("SELECT ") + kRequestColumns + " FROM consumer_requests WHERE id = ?1").c_str());
  if (!s.ok()) return error("cannot read request " + id);
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<ConsumerRequestRow>();
  if (rc != SQLITE_ROW) return error("cannot read request " + id);
  return std::optional<ConsumerRequestRow>(read_request(s));
}

fhir::Result<std::vector<ConsumerRequestRow>> TaskStore::followed_requests() {
  std::lock_guard lock(mutex_);
  Statement s(db_, (std::string("SELECT ") + kRequestColumns +
                    " FROM consumer_requests WHERE next_poll_ms > 0 ORDER BY next_poll_ms")
                       .c_str());
  if (!s.ok()) return error("cannot list requests");
  std::vector<ConsumerRequestRow> rows;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) rows.push_back(read_request(s));
  if (rc != SQLITE_DONE) return error("cannot list requests");
  return rows;
}

}  // namespace crdex::hooks::cdex
