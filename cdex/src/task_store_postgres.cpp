#include <mutex>

#include "crdex/fhir/postgres_connection.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "store_backends.hpp"

namespace crdex::cdex {

namespace {

constexpr const char* kPostgresTaskStoreName = "CDex task store";

// Tables named cdex_* so they stand beside the other stores in one database.
constexpr fhir::SchemaMigration kPostgresTaskMigrations[] = {
    {1, "Data Source Tasks, Data Consumer requests with their lease", R"sql(
CREATE TABLE cdex_source_tasks (
  seq      BIGSERIAL PRIMARY KEY,
  id       TEXT NOT NULL UNIQUE,
  status   TEXT NOT NULL,
  document TEXT NOT NULL
);
CREATE TABLE cdex_consumer_requests (
  id                  TEXT PRIMARY KEY,
  source              TEXT NOT NULL,
  remote_id           TEXT NOT NULL,
  status              TEXT NOT NULL,
  status_reason       TEXT NOT NULL,
  created_ms          BIGINT NOT NULL,
  last_poll_offset_ms BIGINT NOT NULL,
  next_poll_ms        BIGINT NOT NULL,
  polls               INTEGER NOT NULL,
  task                TEXT NOT NULL,
  outputs             TEXT NOT NULL,
  problem             TEXT NOT NULL,
  lease_holder        TEXT NOT NULL DEFAULT '',
  lease_until         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cdex_consumer_requests_due ON cdex_consumer_requests (next_poll_ms) WHERE next_poll_ms > 0;
)sql"},
    {2, "a lease on each source Task: which worker fulfils it, until when", R"sql(
ALTER TABLE cdex_source_tasks ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE cdex_source_tasks ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cdex_source_tasks_pending ON cdex_source_tasks (seq) WHERE status IN ('accepted', 'in-progress');
)sql"},
};

constexpr const char* kPostgresRequestColumns =
    "id, source, remote_id, status, status_reason, created_ms, last_poll_offset_ms, next_poll_ms, polls, task, "
    "outputs, problem";

ConsumerRequestRow read_request(const fhir::PostgresResult& r, int i) {
  return {r.text(i, 0),    r.text(i, 1),    r.text(i, 2),
          r.text(i, 3),    r.text(i, 4),    r.integer(i, 5),
          r.integer(i, 6), r.integer(i, 7), static_cast<int>(r.integer(i, 8)),
          r.text(i, 9),    r.text(i, 10),   r.text(i, 11)};
}

SourceTaskRow read_source(const fhir::PostgresResult& r, int i) { return {r.text(i, 0), r.text(i, 1), r.text(i, 2)}; }

// Tasks every replica shares: a status move or a poll claimed by one replica
// is done by that one only.
class PostgresTaskStore final : public TaskStore {
 public:
  explicit PostgresTaskStore(std::unique_ptr<fhir::PostgresConnection> db) : db_(std::move(db)) {}

  fhir::Result<bool> insert_source(const SourceTaskRow& row) override {
    std::lock_guard lock(mutex_);
    auto done = db_->query("cannot store Task " + row.id,
                           "INSERT INTO cdex_source_tasks (id, status, document) VALUES ($1, $2, $3)",
                           {row.id, row.status, row.document});
    if (!done) return done.error();
    return true;
  }

  fhir::Result<bool> update_source(const SourceTaskRow& row, const std::string& expected_status) override {
    std::lock_guard lock(mutex_);
    // The status read is the condition: of two replicas moving one Task, one changes it.
    auto done = db_->query("cannot update Task " + row.id,
                           "UPDATE cdex_source_tasks SET status = $2, document = $3 WHERE id = $1 AND status = $4",
                           {row.id, row.status, row.document, expected_status});
    if (!done) return done.error();
    return done->changed() == 1;
  }

  fhir::Result<std::optional<SourceTaskRow>> source(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot read Task " + id, "SELECT id, status, document FROM cdex_source_tasks WHERE id = $1",
                        {id});
    if (!r) return r.error();
    if (r->rows() == 0) return std::optional<SourceTaskRow>();
    return std::optional<SourceTaskRow>(read_source(*r, 0));
  }

  fhir::Result<std::vector<SourceTaskRow>> sources(const std::string& status) override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot list Tasks",
                        "SELECT id, status, document FROM cdex_source_tasks WHERE ($1 = '' OR status = $1) "
                        "ORDER BY seq",
                        {status});
    if (!r) return r.error();
    std::vector<SourceTaskRow> rows;
    for (int i = 0; i < r->rows(); ++i) rows.push_back(read_source(*r, i));
    return rows;
  }

  fhir::Result<std::vector<SourceTaskRow>> due_sources(int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot list due Tasks",
                        "SELECT id, status, document FROM cdex_source_tasks WHERE status IN ('accepted', "
                        "'in-progress') AND lease_until <= $1 ORDER BY seq",
                        {std::to_string(now_ms)});
    if (!r) return r.error();
    std::vector<SourceTaskRow> rows;
    for (int i = 0; i < r->rows(); ++i) rows.push_back(read_source(*r, i));
    return rows;
  }

  fhir::Result<bool> claim_source(const SourceTaskRow& row, const std::string& expected_status,
                                  const std::string& holder, int64_t now_ms, int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    // The UPDATE re-checks status and lease on the row as it stands once
    // locked: of two replicas claiming one Task, one changes it.
    auto done = db_->query("cannot claim Task " + row.id,
                           "UPDATE cdex_source_tasks SET status = $2, document = $3, lease_holder = $5, "
                           "lease_until = $6::bigint + $7::bigint WHERE id = $1 AND status = $4 AND "
                           "lease_until <= $6::bigint",
                           {row.id, row.status, row.document, expected_status, holder, std::to_string(now_ms),
                            std::to_string(lease_ms)});
    if (!done) return done.error();
    return done->changed() == 1;
  }

  fhir::Result<bool> renew_source(const std::string& id, const std::string& holder, int64_t now_ms,
                                  int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    auto done = db_->query("cannot renew the lease on Task " + id,
                           "UPDATE cdex_source_tasks SET lease_until = $3::bigint + $4::bigint WHERE id = $1 AND "
                           "lease_holder = $2 AND status = 'in-progress'",
                           {id, holder, std::to_string(now_ms), std::to_string(lease_ms)});
    if (!done) return done.error();
    return done->changed() == 1;
  }

  fhir::Result<bool> finish_source(const SourceTaskRow& row, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    auto done = db_->query("cannot update Task " + row.id,
                           "UPDATE cdex_source_tasks SET status = $2, document = $3, lease_holder = '', "
                           "lease_until = 0 WHERE id = $1 AND lease_holder = $4 AND status = 'in-progress'",
                           {row.id, row.status, row.document, holder});
    if (!done) return done.error();
    return done->changed() == 1;
  }

  fhir::Result<bool> save_request(const ConsumerRequestRow& row) override {
    std::lock_guard lock(mutex_);
    auto done = db_->query(
        "cannot store request " + row.id,
        "INSERT INTO cdex_consumer_requests (id, source, remote_id, status, status_reason, created_ms, "
        "last_poll_offset_ms, next_poll_ms, polls, task, outputs, problem) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET source = excluded.source, remote_id = excluded.remote_id, "
        "status = excluded.status, status_reason = excluded.status_reason, created_ms = excluded.created_ms, "
        "last_poll_offset_ms = excluded.last_poll_offset_ms, next_poll_ms = excluded.next_poll_ms, polls = "
        "excluded.polls, task = excluded.task, outputs = excluded.outputs, problem = excluded.problem",
        {row.id, row.source, row.remote_id, row.status, row.status_reason, std::to_string(row.created_ms),
         std::to_string(row.last_poll_offset_ms), std::to_string(row.next_poll_ms), std::to_string(row.polls),
         row.task, row.outputs, row.problem});
    if (!done) return done.error();
    return true;
  }

  fhir::Result<std::optional<ConsumerRequestRow>> request(const std::string& id) override {
    std::lock_guard lock(mutex_);
    const std::string sql = std::string("SELECT ") + kPostgresRequestColumns + " FROM cdex_consumer_requests WHERE id = $1";
    auto r = db_->query("cannot read request " + id, sql.c_str(), {id});
    if (!r) return r.error();
    if (r->rows() == 0) return std::optional<ConsumerRequestRow>();
    return std::optional<ConsumerRequestRow>(read_request(*r, 0));
  }

  fhir::Result<std::vector<ConsumerRequestRow>> followed_requests() override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot list requests",
                        (std::string("SELECT ") + kPostgresRequestColumns +
                         " FROM cdex_consumer_requests WHERE next_poll_ms > 0 ORDER BY next_poll_ms")
                            .c_str());
    if (!r) return r.error();
    std::vector<ConsumerRequestRow> rows;
    for (int i = 0; i < r->rows(); ++i) rows.push_back(read_request(*r, i));
    return rows;
  }

  fhir::Result<std::optional<ConsumerRequestRow>> claim_due_request(int64_t now_ms, const std::string& holder,
                                                                    int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    // SKIP LOCKED: a row another replica is claiming this instant is passed
    // over; the outer condition is checked again on the row as it is then.
    auto r = db_->query("cannot claim a due request",
                        (std::string("UPDATE cdex_consumer_requests SET lease_holder = $1, lease_until = "
                                     "$2::bigint + $3::bigint WHERE id = (SELECT id FROM cdex_consumer_requests WHERE next_poll_ms > 0 AND "
                                     "next_poll_ms <= $2 AND lease_until <= $2 ORDER BY next_poll_ms, id LIMIT 1 "
                                     "FOR UPDATE SKIP LOCKED) AND next_poll_ms > 0 AND lease_until <= $2 "
                                     "RETURNING ") +
                         kPostgresRequestColumns)
                            .c_str(),
                        {holder, std::to_string(now_ms), std::to_string(lease_ms)});
    if (!r) return r.error();
    if (r->rows() == 0) return std::optional<ConsumerRequestRow>();
    return std::optional<ConsumerRequestRow>(read_request(*r, 0));
  }

  fhir::Result<bool> finish_poll(const ConsumerRequestRow& row, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    auto done = db_->query("cannot store request " + row.id,
                           "UPDATE cdex_consumer_requests SET status = $2, status_reason = $3, last_poll_offset_ms = "
                           "$4, next_poll_ms = $5, polls = $6, task = $7, outputs = $8, problem = $9, lease_holder = "
                           "'', lease_until = 0 WHERE id = $1 AND lease_holder = $10",
                           {row.id, row.status, row.status_reason, std::to_string(row.last_poll_offset_ms),
                            std::to_string(row.next_poll_ms), std::to_string(row.polls), row.task, row.outputs,
                            row.problem, holder});
    if (!done) return done.error();
    return done->changed() == 1;
  }

  fhir::Result<std::optional<int64_t>> next_claimable_ms() override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot list requests",
                        "SELECT MIN(GREATEST(next_poll_ms, lease_until)) FROM cdex_consumer_requests "
                        "WHERE next_poll_ms > 0");
    if (!r) return r.error();
    if (r->rows() == 0 || r->is_null(0, 0)) return std::optional<int64_t>();
    return std::optional<int64_t>(r->integer(0, 0));
  }

 private:
  std::unique_ptr<fhir::PostgresConnection> db_;
  std::mutex mutex_;
};

}  // namespace

namespace detail {

fhir::Result<std::shared_ptr<TaskStore>> open_postgres_task_store(const std::string& url) {
  auto db = fhir::PostgresConnection::open(url, kPostgresTaskStoreName);
  if (!db) return db.error();
  auto migrated = fhir::migrate_postgres_schema(**db, kPostgresTaskStoreName, kPostgresTaskMigrations);
  if (!migrated) return migrated.error();
  return std::shared_ptr<TaskStore>(new PostgresTaskStore(std::move(db).value()));
}

}  // namespace detail

}  // namespace crdex::cdex
