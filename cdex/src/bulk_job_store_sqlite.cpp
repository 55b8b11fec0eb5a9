#include <mutex>

#include "bulk_job_store_backends.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::cdex::detail {

namespace {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

// Migration 1 is the schema before versioning (adopted as it is); 2 records
// what a Da Vinci export was for (davinci_data_export.hpp), "" for $export;
// 3 adds the lease (bulk_job_store.hpp).
constexpr fhir::SchemaMigration kSqliteBulkJobMigrations[] = {
    {1, "export jobs and their files", R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id               TEXT PRIMARY KEY,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  fhir_server      TEXT NOT NULL,
  group_id         TEXT NOT NULL,
  types            TEXT NOT NULL,
  since            TEXT NOT NULL,
  state            TEXT NOT NULL,
  status_url       TEXT NOT NULL,
  progress         TEXT NOT NULL,
  polls            INTEGER NOT NULL,
  error            TEXT NOT NULL,
  manifest         TEXT NOT NULL,
  transaction_time TEXT NOT NULL,
  needs_token      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
  job_id    TEXT NOT NULL REFERENCES jobs (id),
  sequence  INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  type      TEXT NOT NULL,
  url       TEXT NOT NULL,
  path      TEXT NOT NULL,
  resources INTEGER NOT NULL,
  bytes     INTEGER NOT NULL,
  PRIMARY KEY (job_id, sequence)
);
)sql"},
    {2, "jobs.export_type (the Da Vinci exportType)", "ALTER TABLE jobs ADD COLUMN export_type TEXT NOT NULL DEFAULT ''"},
    {3, "jobs.holder and jobs.lease_until (which replica runs the job, until when)", R"sql(
ALTER TABLE jobs ADD COLUMN holder TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
)sql"},
};

constexpr const char* kSqliteJobColumns =
    "id, created_at, updated_at, fhir_server, group_id, types, since, state, status_url, progress, polls, error, "
    "manifest, transaction_time, needs_token, export_type, holder, lease_until";

// Milliseconds since the epoch, SQLite's clock (fixed within one statement).
#define CRDEX_SQLITE_NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"

class SqliteBulkJobStore final : public BulkJobStore {
 public:
  explicit SqliteBulkJobStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}

 protected:
  fhir::Result<bool> insert_row(const Row& row, const std::string& holder, int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    const BulkJob& j = row.job;
    SqliteStatement s(*db_, (std::string("INSERT INTO jobs (") + kSqliteJobColumns +
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                             "CASE WHEN ? = '' THEN 0 ELSE " CRDEX_SQLITE_NOW_MS " + ? END)"));
    s.bind(1, j.id).bind(2, j.created_at).bind(3, j.updated_at).bind(4, j.fhir_server).bind(5, j.group_id);
    s.bind(6, row.types).bind(7, j.since).bind(8, j.state).bind(9, j.status_url).bind(10, j.progress);
    s.bind(11, j.polls).bind(12, j.error).bind(13, j.manifest).bind(14, j.transaction_time);
    s.bind(15, j.needs_token ? 1 : 0).bind(16, j.export_type).bind(17, holder).bind(18, holder).bind(19, lease_ms);
    if (!s.run()) return db_->error("cannot store the job");
    return true;
  }

  fhir::Result<std::vector<Row>> select_rows(const std::string& id) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("SELECT ") + kSqliteJobColumns + " FROM jobs" +
                                (id.empty() ? " ORDER BY created_at, id" : " WHERE id = ?"));
    if (!id.empty()) s.bind(1, id);
    std::vector<Row> out;
    if (!s.each_row([&](const SqliteStatement& r) { out.push_back(row_of(r)); })) return db_->error("cannot read");
    for (auto& row : out)
      if (!load_files(row.job)) return db_->error("cannot read the files");
    return out;
  }

  fhir::Result<std::vector<std::string>> select_unfinished(const std::string& claimable_by) override {
    std::lock_guard lock(mutex_);
    std::string sql = std::string("SELECT id FROM jobs WHERE ") + kUnfinishedJob;
    if (!claimable_by.empty()) sql += " AND (holder = '' OR holder = ? OR lease_until <= " CRDEX_SQLITE_NOW_MS ")";
    SqliteStatement s(*db_, sql + " ORDER BY created_at");
    if (!claimable_by.empty()) s.bind(1, claimable_by);
    std::vector<std::string> out;
    if (!s.each_row([&](const SqliteStatement& row) { out.push_back(row.text(0)); })) return db_->error("cannot list");
    return out;
  }

  fhir::Result<bool> claim_row(const std::string& id, const std::string& holder, int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("UPDATE jobs SET holder = ?, lease_until = " CRDEX_SQLITE_NOW_MS
                                        " + ? WHERE id = ? AND ") +
                                kUnfinishedJob + " AND (holder = '' OR holder = ? OR lease_until <= " CRDEX_SQLITE_NOW_MS
                                ")");
    s.bind(1, holder).bind(2, lease_ms).bind(3, id).bind(4, holder);
    if (!s.run()) return db_->error("cannot claim the job");
    return db_->changes() == 1;
  }

  fhir::Result<int> release_rows(const std::string& holder) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("UPDATE jobs SET lease_until = 0 WHERE holder = ? AND ") + kUnfinishedJob);
    if (!s.bind(1, holder).run()) return db_->error("cannot release the jobs");
    return static_cast<int>(db_->changes());
  }

  fhir::Result<bool> update_row(const BulkJob& j, const std::string& updated_at, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("UPDATE jobs SET updated_at = ?, state = ?, status_url = ?, progress = ?, "
                                        "polls = ?, error = ?, manifest = ?, transaction_time = ? "
                                        "WHERE id = ? AND holder = ? AND ") +
                                kUnfinishedJob);
    s.bind(1, updated_at).bind(2, j.state).bind(3, j.status_url).bind(4, j.progress).bind(5, j.polls);
    s.bind(6, j.error).bind(7, j.manifest).bind(8, j.transaction_time).bind(9, j.id).bind(10, holder);
    if (!s.run()) return db_->error("cannot update");
    return db_->changes() == 1;
  }

  fhir::Result<bool> complete_rows(const std::string& id, const std::vector<BulkJobFile>& files,
                                   const std::string& updated_at, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    SqliteTransaction tx(*db_);
    if (!tx.begun()) return db_->error("cannot begin");
    SqliteStatement done(*db_,
                         "UPDATE jobs SET updated_at = ?, state = 'completed', progress = '', lease_until = 0 "
                         "WHERE id = ? AND state = 'downloading' AND holder = ?");
    if (!done.bind(1, updated_at).bind(2, id).bind(3, holder).run()) return db_->error("cannot complete");
    if (db_->changes() != 1) return false;  // cancelled meanwhile, or the lease lost
    SqliteStatement clear(*db_, "DELETE FROM files WHERE job_id = ?");
    if (!clear.bind(1, id).run()) return db_->error("cannot replace the files");
    for (const auto& f : files) {
      SqliteStatement insert(*db_,
                             "INSERT INTO files (job_id, sequence, kind, type, url, path, resources, bytes) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      insert.bind(1, id).bind(2, f.sequence).bind(3, f.kind).bind(4, f.type).bind(5, f.url).bind(6, f.path);
      insert.bind(7, f.resources).bind(8, f.bytes);
      if (!insert.run()) return db_->error("cannot record a file");
    }
    if (!tx.commit()) return db_->error("cannot commit");
    return true;
  }

  fhir::Result<bool> cancel_row(const std::string& id, const std::string& updated_at) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("UPDATE jobs SET updated_at = ?, state = 'cancelled', lease_until = 0 "
                                        "WHERE id = ? AND ") +
                                kUnfinishedJob);
    if (!s.bind(1, updated_at).bind(2, id).run()) return db_->error("cannot cancel");
    return db_->changes() == 1;
  }

 private:
  static Row row_of(const SqliteStatement& s) {
    Row row;
    BulkJob& j = row.job;
    j.id = s.text(0);
    j.created_at = s.text(1);
    j.updated_at = s.text(2);
    j.fhir_server = s.text(3);
    j.group_id = s.text(4);
    row.types = s.text(5);
    j.since = s.text(6);
    j.state = s.text(7);
    j.status_url = s.text(8);
    j.progress = s.text(9);
    j.polls = s.integer(10);
    j.error = s.text(11);
    j.manifest = s.text(12);
    j.transaction_time = s.text(13);
    j.needs_token = s.integer(14) != 0;
    j.export_type = s.text(15);
    j.lease_holder = s.text(16);
    j.lease_until_ms = s.integer(17);
    return row;
  }

  bool load_files(BulkJob& job) {  // caller holds mutex_
    SqliteStatement f(*db_,
                      "SELECT sequence, kind, type, url, path, resources, bytes FROM files WHERE job_id = ? "
                      "ORDER BY sequence");
    f.bind(1, job.id);
    return f.each_row([&](const SqliteStatement& row) {
      job.files.push_back({static_cast<int>(row.integer(0)), row.text(1), row.text(2), row.text(3), row.text(4),
                           row.integer(5), row.integer(6)});
    });
  }

  std::mutex mutex_;
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace

fhir::Result<std::shared_ptr<BulkJobStore>> open_sqlite_bulk_job_store(const std::filesystem::path& file) {
  auto db = fhir::SqliteDatabase::open(file, "", {.name = std::string(kBulkJobStoreName)});
  if (!db) return db.error();
  if (auto migrated = fhir::migrate_sqlite_schema(**db, kBulkJobStoreName, kSqliteBulkJobMigrations); !migrated)
    return migrated.error();
  return std::shared_ptr<BulkJobStore>(new SqliteBulkJobStore(std::move(db).value()));
}

}  // namespace crdex::cdex::detail
