#include <mutex>

#include "crdex/cdex/task_store.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::cdex {

using fhir::SqliteStatement;
using fhir::SqliteStep;

namespace {

constexpr const char* kSqliteTaskStoreName = "CDex task store";

// Migration 1 is the schema from before migrations (adopted in place).
constexpr fhir::SchemaMigration kSqliteTaskMigrations[] = {
    {1, "Data Source Tasks and Data Consumer requests", R"sql(
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
)sql"},
    {2, "a lease on each consumer request: who polls it, until when", R"sql(
ALTER TABLE consumer_requests ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE consumer_requests ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
)sql"},
    {3, "a lease on each source Task: which worker fulfils it, until when", R"sql(
ALTER TABLE source_tasks ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE source_tasks ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
)sql"},
};

constexpr const char* kSqliteRequestColumns =
    "id, source, remote_id, status, status_reason, created_ms, last_poll_offset_ms, next_poll_ms, polls, task, "
    "outputs, problem";

ConsumerRequestRow read_request(const SqliteStatement& s) {
  return {s.text(0),    s.text(1),    s.text(2),
          s.text(3),    s.text(4),    s.integer(5),
          s.integer(6), s.integer(7), static_cast<int>(s.integer(8)),
          s.text(9),    s.text(10),   s.text(11)};
}

class SqliteTaskStore final : public TaskStore {
 public:
  explicit SqliteTaskStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}

  fhir::Result<bool> insert_source(const SourceTaskRow& row) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "INSERT INTO source_tasks (id, status, document) VALUES (?1, ?2, ?3)");
    if (!s.ok() || s.bind(1, row.id).bind(2, row.status).bind(3, row.document).step() != SqliteStep::done)
      return db_->error("cannot store Task " + row.id);
    return true;
  }

  fhir::Result<bool> update_source(const SourceTaskRow& row, const std::string& expected_status) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "UPDATE source_tasks SET status = ?2, document = ?3 WHERE id = ?1 AND status = ?4");
    if (!s.ok() || !s.bind(1, row.id).bind(2, row.status).bind(3, row.document).bind(4, expected_status).run())
      return db_->error("cannot update Task " + row.id);
    return db_->changes() == 1;
  }

  fhir::Result<std::optional<SourceTaskRow>> source(const std::string& id) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "SELECT id, status, document FROM source_tasks WHERE id = ?1");
    if (!s.ok()) return db_->error("cannot read Task " + id);
    s.bind(1, id);
    const SqliteStep rc = s.step();
    if (rc == SqliteStep::done) return std::optional<SourceTaskRow>();
    if (rc != SqliteStep::row) return db_->error("cannot read Task " + id);
    return std::optional<SourceTaskRow>(SourceTaskRow{s.text(0), s.text(1), s.text(2)});
  }

  fhir::Result<std::vector<SourceTaskRow>> sources(const std::string& status) override {
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

  fhir::Result<std::vector<SourceTaskRow>> due_sources(int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "SELECT id, status, document FROM source_tasks WHERE status IN ('accepted', "
                            "'in-progress') AND lease_until <= ?1 ORDER BY seq");
    if (!s.ok()) return db_->error("cannot list due Tasks");
    s.bind(1, now_ms);
    std::vector<SourceTaskRow> rows;
    if (!s.each_row([&](const SqliteStatement& row) { rows.push_back({row.text(0), row.text(1), row.text(2)}); }))
      return db_->error("cannot list due Tasks");
    return rows;
  }

  fhir::Result<bool> claim_source(const SourceTaskRow& row, const std::string& expected_status,
                                  const std::string& holder, int64_t now_ms, int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    // One statement under SQLite's write lock: the status move is the claim.
    SqliteStatement s(*db_, "UPDATE source_tasks SET status = ?2, document = ?3, lease_holder = ?5, "
                            "lease_until = ?6 + ?7 WHERE id = ?1 AND status = ?4 AND lease_until <= ?6");
    if (!s.ok()) return db_->error("cannot claim Task " + row.id);
    s.bind(1, row.id).bind(2, row.status).bind(3, row.document).bind(4, expected_status).bind(5, holder);
    if (!s.bind(6, now_ms).bind(7, lease_ms).run()) return db_->error("cannot claim Task " + row.id);
    return db_->changes() == 1;
  }

  fhir::Result<bool> renew_source(const std::string& id, const std::string& holder, int64_t now_ms,
                                  int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "UPDATE source_tasks SET lease_until = ?3 + ?4 WHERE id = ?1 AND lease_holder = ?2 "
                            "AND status = 'in-progress'");
    if (!s.ok() || !s.bind(1, id).bind(2, holder).bind(3, now_ms).bind(4, lease_ms).run())
      return db_->error("cannot renew the lease on Task " + id);
    return db_->changes() == 1;
  }

  fhir::Result<bool> finish_source(const SourceTaskRow& row, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "UPDATE source_tasks SET status = ?2, document = ?3, lease_holder = '', lease_until = 0 "
                            "WHERE id = ?1 AND lease_holder = ?4 AND status = 'in-progress'");
    if (!s.ok() || !s.bind(1, row.id).bind(2, row.status).bind(3, row.document).bind(4, holder).run())
      return db_->error("cannot update Task " + row.id);
    return db_->changes() == 1;
  }

  fhir::Result<bool> save_request(const ConsumerRequestRow& row) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "INSERT INTO consumer_requests (id, source, remote_id, status, status_reason, "
                            "created_ms, last_poll_offset_ms, next_poll_ms, polls, task, outputs, problem) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO UPDATE "
                            "SET source = excluded.source, remote_id = excluded.remote_id, status = excluded.status, "
                            "status_reason = excluded.status_reason, created_ms = excluded.created_ms, "
                            "last_poll_offset_ms = excluded.last_poll_offset_ms, next_poll_ms = "
                            "excluded.next_poll_ms, polls = excluded.polls, task = excluded.task, outputs = "
                            "excluded.outputs, problem = excluded.problem");
    if (!s.ok()) return db_->error("cannot store request " + row.id);
    s.bind(1, row.id).bind(2, row.source).bind(3, row.remote_id).bind(4, row.status).bind(5, row.status_reason);
    s.bind(6, row.created_ms).bind(7, row.last_poll_offset_ms).bind(8, row.next_poll_ms);
    s.bind(9, static_cast<int64_t>(row.polls)).bind(10, row.task).bind(11, row.outputs).bind(12, row.problem);
    if (s.step() != SqliteStep::done) return db_->error("cannot store request " + row.id);
    return true;
  }

  fhir::Result<std::optional<ConsumerRequestRow>> request(const std::string& id) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("SELECT ") + kSqliteRequestColumns + " FROM consumer_requests WHERE id = ?1");
    if (!s.ok()) return db_->error("cannot read request " + id);
    s.bind(1, id);
    const SqliteStep rc = s.step();
    if (rc == SqliteStep::done) return std::optional<ConsumerRequestRow>();
    if (rc != SqliteStep::row) return db_->error("cannot read request " + id);
    return std::optional<ConsumerRequestRow>(read_request(s));
  }

  fhir::Result<std::vector<ConsumerRequestRow>> followed_requests() override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("SELECT ") + kSqliteRequestColumns +
                                " FROM consumer_requests WHERE next_poll_ms > 0 ORDER BY next_poll_ms");
    if (!s.ok()) return db_->error("cannot list requests");
    std::vector<ConsumerRequestRow> rows;
    if (!s.each_row([&](const SqliteStatement& row) { rows.push_back(read_request(row)); }))
      return db_->error("cannot list requests");
    return rows;
  }

  fhir::Result<std::optional<ConsumerRequestRow>> claim_due_request(int64_t now_ms, const std::string& holder,
                                                                    int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    // One statement under SQLite's write lock: the row chosen is the row leased.
    SqliteStatement s(*db_, std::string("UPDATE consumer_requests SET lease_holder = ?1, lease_until = ?2 + ?3 "
                                        "WHERE id = (SELECT id FROM consumer_requests WHERE next_poll_ms > 0 AND "
                                        "next_poll_ms <= ?2 AND lease_until <= ?2 ORDER BY next_poll_ms, id LIMIT 1) "
                                        "RETURNING ") +
                                kSqliteRequestColumns);
    if (!s.ok()) return db_->error("cannot claim a due request");
    const SqliteStep rc = s.bind(1, holder).bind(2, now_ms).bind(3, lease_ms).step();
    if (rc == SqliteStep::done) return std::optional<ConsumerRequestRow>();
    if (rc != SqliteStep::row) return db_->error("cannot claim a due request");
    auto row = read_request(s);
    if (s.step() != SqliteStep::done) return db_->error("cannot claim a due request");
    return std::optional<ConsumerRequestRow>(std::move(row));
  }

  fhir::Result<bool> finish_poll(const ConsumerRequestRow& row, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "UPDATE consumer_requests SET status = ?2, status_reason = ?3, last_poll_offset_ms = ?4, "
                            "next_poll_ms = ?5, polls = ?6, task = ?7, outputs = ?8, problem = ?9, "
                            "lease_holder = '', lease_until = 0 WHERE id = ?1 AND lease_holder = ?10");
    if (!s.ok()) return db_->error("cannot store request " + row.id);
    s.bind(1, row.id).bind(2, row.status).bind(3, row.status_reason).bind(4, row.last_poll_offset_ms);
    s.bind(5, row.next_poll_ms).bind(6, static_cast<int64_t>(row.polls)).bind(7, row.task).bind(8, row.outputs);
    s.bind(9, row.problem).bind(10, holder);
    if (!s.run()) return db_->error("cannot store request " + row.id);
    return db_->changes() == 1;
  }

  fhir::Result<std::optional<int64_t>> next_claimable_ms() override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "SELECT MIN(MAX(next_poll_ms, lease_until)) FROM consumer_requests WHERE next_poll_ms > 0");
    if (s.step() != SqliteStep::row) return db_->error("cannot list requests");
    if (s.is_null(0)) return std::optional<int64_t>();
    return std::optional<int64_t>(s.integer(0));
  }

 private:
  std::unique_ptr<fhir::SqliteDatabase> db_;
  std::mutex mutex_;
};

}  // namespace

fhir::Result<std::shared_ptr<TaskStore>> TaskStore::open(const std::filesystem::path& file) {
  // No SQLite mutex on the connection: the store's own mutex serializes it.
  auto db = fhir::SqliteDatabase::open(file, "",
                                       {.name = kSqliteTaskStoreName, .foreign_keys = false, .serialized = false});
  if (!db) return db.error();
  auto migrated = fhir::migrate_sqlite_schema(**db, kSqliteTaskStoreName, kSqliteTaskMigrations);
  if (!migrated) return migrated.error();
  return std::shared_ptr<TaskStore>(new SqliteTaskStore(std::move(db).value()));
}

}  // namespace crdex::cdex
