#include "crdex/cdex/task_store.hpp"

namespace crdex::cdex {

using fhir::SqliteStatement;
using fhir::SqliteStep;

namespace {

constexpr const char* kTaskSchema = R"sql(
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

constexpr const char* kRequestColumns =
    "id, source, remote_id, status, status_reason, created_ms, last_poll_offset_ms, next_poll_ms, polls, task, "
    "outputs, problem";

ConsumerRequestRow read_request(const SqliteStatement& s) {
  return {s.text(0),    s.text(1),    s.text(2),
          s.text(3),    s.text(4),    s.integer(5),
          s.integer(6), s.integer(7), static_cast<int>(s.integer(8)),
          s.text(9),    s.text(10),   s.text(11)};
}

}  // namespace

fhir::Result<std::shared_ptr<TaskStore>> TaskStore::open(const std::filesystem::path& file) {
  // No SQLite mutex on the connection: the store's own mutex serializes it.
  auto db = fhir::SqliteDatabase::open(
      file, kTaskSchema, {.name = "CDex task store", .foreign_keys = false, .serialized = false});
  if (!db) return db.error();
  return std::shared_ptr<TaskStore>(new TaskStore(std::move(db).value()));
}

TaskStore::~TaskStore() = default;

fhir::Result<bool> TaskStore::insert_source(const SourceTaskRow& row) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "INSERT INTO source_tasks (id, status, document) VALUES (?1, ?2, ?3)");
  if (!s.ok() || s.bind(1, row.id).bind(2, row.status).bind(3, row.document).step() != SqliteStep::done)
    return db_->error("cannot store Task " + row.id);
  return true;
}

fhir::Result<bool> TaskStore::update_source(const SourceTaskRow& row, const std::string& expected_status) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "UPDATE source_tasks SET status = ?2, document = ?3 WHERE id = ?1 AND status = ?4");
  if (!s.ok() || !s.bind(1, row.id).bind(2, row.status).bind(3, row.document).bind(4, expected_status).run())
    return db_->error("cannot update Task " + row.id);
  return db_->changes() == 1;
}

fhir::Result<std::optional<SourceTaskRow>> TaskStore::source(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "SELECT id, status, document FROM source_tasks WHERE id = ?1");
  if (!s.ok()) return db_->error("cannot read Task " + id);
  s.bind(1, id);
  const SqliteStep rc = s.step();
  if (rc == SqliteStep::done) return std::optional<SourceTaskRow>();
  if (rc != SqliteStep::row) return db_->error("cannot read Task " + id);
  return std::optional<SourceTaskRow>(SourceTaskRow{s.text(0), s.text(1), s.text(2)});
}

fhir::Result<std::vector<SourceTaskRow>> TaskStore::sources(const std::string& status) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, status.empty()
                              ? "SELECT id, status, document FROM source_tasks ORDER BY seq"
                              : "SELECT id, status, document FROM source_tasks WHERE status = ?1 ORDER BY seq");
  if (!s.ok()) return db_->error("cannot list Tasks");
  if (!status.empty()) s.bind(1, status);
  std::vector<SourceTaskRow> rows;
  if (!s.each_row([&](const SqliteStatement& row) { rows.push_back({row.text(0), row.text(1), row.text(2)}); }))
    return db_->error("cannot list Tasks");
  return rows;
}

fhir::Result<bool> TaskStore::save_request(const ConsumerRequestRow& row) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "INSERT OR REPLACE INTO consumer_requests (id, source, remote_id, status, status_reason, "
                          "created_ms, last_poll_offset_ms, next_poll_ms, polls, task, outputs, problem) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!s.ok()) return db_->error("cannot store request " + row.id);
  s.bind(1, row.id).bind(2, row.source).bind(3, row.remote_id).bind(4, row.status).bind(5, row.status_reason);
  s.bind(6, row.created_ms).bind(7, row.last_poll_offset_ms).bind(8, row.next_poll_ms);
  s.bind(9, static_cast<int64_t>(row.polls)).bind(10, row.task).bind(11, row.outputs).bind(12, row.problem);
  if (s.step() != SqliteStep::done) return db_->error("cannot store request " + row.id);
  return true;
}

fhir::Result<std::optional<ConsumerRequestRow>> TaskStore::request(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, std::string("SELECT ") + kRequestColumns + " FROM consumer_requests WHERE id = ?1");
  if (!s.ok()) return db_->error("cannot read request " + id);
  s.bind(1, id);
  const SqliteStep rc = s.step();
  if (rc == SqliteStep::done) return std::optional<ConsumerRequestRow>();
  if (rc != SqliteStep::row) return db_->error("cannot read request " + id);
  return std::optional<ConsumerRequestRow>(read_request(s));
}

fhir::Result<std::vector<ConsumerRequestRow>> TaskStore::followed_requests() {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, std::string("SELECT ") + kRequestColumns +
                          " FROM consumer_requests WHERE next_poll_ms > 0 ORDER BY next_poll_ms");
  if (!s.ok()) return db_->error("cannot list requests");
  std::vector<ConsumerRequestRow> rows;
  if (!s.each_row([&](const SqliteStatement& row) { rows.push_back(read_request(row)); }))
    return db_->error("cannot list requests");
  return rows;
}

}  // namespace crdex::cdex
