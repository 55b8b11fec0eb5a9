#include <mutex>

#include "bulk_job_store_backends.hpp"
#include "crdex/fhir/postgres_connection.hpp"
#include "crdex/fhir/schema_migrations.hpp"

namespace crdex::cdex::detail {

namespace {

using fhir::PostgresParam;

// The tables are prefixed (bulk_) so they sit beside the other stores'
// tables in the database the replicas share.
constexpr fhir::SchemaMigration kPostgresBulkJobMigrations[] = {
    {1, "export jobs with their leases, and their files", R"sql(
CREATE TABLE bulk_jobs (
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
  polls            BIGINT NOT NULL,
  error            TEXT NOT NULL,
  manifest         TEXT NOT NULL,
  transaction_time TEXT NOT NULL,
  needs_token      BOOLEAN NOT NULL,
  export_type      TEXT NOT NULL,
  holder           TEXT NOT NULL DEFAULT '',
  lease_until      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX bulk_jobs_unfinished ON bulk_jobs (created_at)
  WHERE state NOT IN ('completed', 'failed', 'cancelled');
CREATE TABLE bulk_job_files (
  job_id    TEXT NOT NULL REFERENCES bulk_jobs (id),
  sequence  INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  type      TEXT NOT NULL,
  url       TEXT NOT NULL,
  path      TEXT NOT NULL,
  resources BIGINT NOT NULL,
  bytes     BIGINT NOT NULL,
  PRIMARY KEY (job_id, sequence)
);
)sql"},
};

constexpr const char* kPostgresJobColumns =
    "id, created_at, updated_at, fhir_server, group_id, types, since, state, status_url, progress, polls, error, "
    "manifest, transaction_time, needs_token, export_type, holder, lease_until";

// Milliseconds since the epoch, the database's clock (the same for every replica).
#define CRDEX_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

std::string str(int64_t value) { return std::to_string(value); }

// Jobs every replica shares; a job's steps run where its lease is held.
class PostgresBulkJobStore final : public BulkJobStore {
 public:
  explicit PostgresBulkJobStore(std::unique_ptr<fhir::PostgresConnection> db) : db_(std::move(db)) {}

 protected:
  fhir::Result<bool> insert_row(const Row& row, const std::string& holder, int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    const BulkJob& j = row.job;
    auto stored = db_->query("cannot store the job",
                             "INSERT INTO bulk_jobs (id, created_at, updated_at, fhir_server, group_id, types, since, "
                             "state, status_url, progress, polls, error, manifest, transaction_time, needs_token, "
                             "export_type, holder, lease_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                             "$13, $14, $15, $16, $17, CASE WHEN $17::text = '' THEN 0 ELSE " CRDEX_PG_NOW_MS " + $18::bigint END)",
                             {j.id, j.created_at, j.updated_at, j.fhir_server, j.group_id, row.types, j.since, j.state,
                              j.status_url, j.progress, str(j.polls), j.error, j.manifest, j.transaction_time,
                              std::string(j.needs_token ? "true" : "false"), j.export_type, holder, str(lease_ms)});
    if (!stored) return stored.error();
    return true;
  }

  fhir::Result<std::vector<Row>> select_rows(const std::string& id) override {
    std::lock_guard lock(mutex_);
    const std::string sql =
        std::string("SELECT ") + kPostgresJobColumns + " FROM bulk_jobs" + (id.empty() ? " ORDER BY created_at, id" : " WHERE id = $1");
    auto rows = id.empty() ? db_->query("cannot list", sql.c_str()) : db_->query("cannot read", sql.c_str(), {id});
    if (!rows) return rows.error();
    std::vector<Row> out;
    for (int r = 0; r < rows->rows(); ++r) {
      Row row;
      BulkJob& j = row.job;
      j.id = rows->text(r, 0);
      j.created_at = rows->text(r, 1);
      j.updated_at = rows->text(r, 2);
      j.fhir_server = rows->text(r, 3);
      j.group_id = rows->text(r, 4);
      row.types = rows->text(r, 5);
      j.since = rows->text(r, 6);
      j.state = rows->text(r, 7);
      j.status_url = rows->text(r, 8);
      j.progress = rows->text(r, 9);
      j.polls = rows->integer(r, 10);
      j.error = rows->text(r, 11);
      j.manifest = rows->text(r, 12);
      j.transaction_time = rows->text(r, 13);
      j.needs_token = rows->text(r, 14) == "t";
      j.export_type = rows->text(r, 15);
      j.lease_holder = rows->text(r, 16);
      j.lease_until_ms = rows->integer(r, 17);
      out.push_back(std::move(row));
    }
    for (auto& row : out) {
      auto files = db_->query("cannot read the files",
                              "SELECT sequence, kind, type, url, path, resources, bytes FROM bulk_job_files "
                              "WHERE job_id = $1 ORDER BY sequence",
                              {row.job.id});
      if (!files) return files.error();
      for (int r = 0; r < files->rows(); ++r)
        row.job.files.push_back({static_cast<int>(files->integer(r, 0)), files->text(r, 1), files->text(r, 2),
                                 files->text(r, 3), files->text(r, 4), files->integer(r, 5), files->integer(r, 6)});
    }
    return out;
  }

  fhir::Result<std::vector<std::string>> select_unfinished(const std::string& claimable_by) override {
    std::lock_guard lock(mutex_);
    std::string sql = std::string("SELECT id FROM bulk_jobs WHERE ") + kUnfinishedJob;
    if (!claimable_by.empty()) sql += " AND (holder = '' OR holder = $1 OR lease_until <= " CRDEX_PG_NOW_MS ")";
    sql += " ORDER BY created_at";
    auto rows = claimable_by.empty() ? db_->query("cannot list", sql.c_str())
                                     : db_->query("cannot list", sql.c_str(), {claimable_by});
    if (!rows) return rows.error();
    std::vector<std::string> out;
    for (int r = 0; r < rows->rows(); ++r) out.push_back(rows->text(r, 0));
    return out;
  }

  fhir::Result<bool> claim_row(const std::string& id, const std::string& holder, int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    // One statement: PostgreSQL re-checks the WHERE on the row it locks, so
    // of two replicas claiming at once exactly one gets the row.
    const std::string sql = std::string("UPDATE bulk_jobs SET holder = $2, lease_until = " CRDEX_PG_NOW_MS
                                        " + $3::bigint WHERE id = $1 AND ") +
                            kUnfinishedJob + " AND (holder = '' OR holder = $2 OR lease_until <= " CRDEX_PG_NOW_MS
                            ") RETURNING id";
    auto claimed = db_->query("cannot claim the job", sql.c_str(), {id, holder, str(lease_ms)});
    if (!claimed) return claimed.error();
    return claimed->rows() == 1;
  }

  fhir::Result<int> release_rows(const std::string& holder) override {
    std::lock_guard lock(mutex_);
    const std::string sql = std::string("UPDATE bulk_jobs SET lease_until = 0 WHERE holder = $1 AND ") + kUnfinishedJob;
    auto released = db_->query("cannot release the jobs", sql.c_str(), {holder});
    if (!released) return released.error();
    return static_cast<int>(released->changed());
  }

  fhir::Result<bool> update_row(const BulkJob& j, const std::string& updated_at, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    const std::string sql = std::string("UPDATE bulk_jobs SET updated_at = $1, state = $2, status_url = $3, "
                                        "progress = $4, polls = $5, error = $6, manifest = $7, transaction_time = $8 "
                                        "WHERE id = $9 AND holder = $10 AND ") +
                            kUnfinishedJob;
    auto updated = db_->query("cannot update", sql.c_str(),
                              {updated_at, j.state, j.status_url, j.progress, str(j.polls), j.error, j.manifest,
                               j.transaction_time, j.id, holder});
    if (!updated) return updated.error();
    return updated->changed() == 1;
  }

  fhir::Result<bool> complete_rows(const std::string& id, const std::vector<BulkJobFile>& files,
                                   const std::string& updated_at, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    fhir::PostgresTransaction tx(*db_);
    if (!tx.begun()) return db_->error("cannot begin");
    auto done = db_->query("cannot complete",
                           "UPDATE bulk_jobs SET updated_at = $1, state = 'completed', progress = '', lease_until = 0 "
                           "WHERE id = $2 AND state = 'downloading' AND holder = $3",
                           {updated_at, id, holder});
    if (!done) return done.error();
    if (done->changed() != 1) return false;  // cancelled meanwhile, or the lease lost
    if (auto cleared = db_->query("cannot replace the files", "DELETE FROM bulk_job_files WHERE job_id = $1", {id});
        !cleared)
      return cleared.error();
    for (const auto& f : files) {
      auto recorded = db_->query("cannot record a file",
                                 "INSERT INTO bulk_job_files (job_id, sequence, kind, type, url, path, resources, "
                                 "bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                 {id, str(f.sequence), f.kind, f.type, f.url, f.path, str(f.resources), str(f.bytes)});
      if (!recorded) return recorded.error();
    }
    if (!tx.commit()) return db_->error("cannot commit");
    return true;
  }

  fhir::Result<bool> cancel_row(const std::string& id, const std::string& updated_at) override {
    std::lock_guard lock(mutex_);
    const std::string sql =
        std::string("UPDATE bulk_jobs SET updated_at = $1, state = 'cancelled', lease_until = 0 WHERE id = $2 AND ") +
        kUnfinishedJob;
    auto cancelled = db_->query("cannot cancel", sql.c_str(), {updated_at, id});
    if (!cancelled) return cancelled.error();
    return cancelled->changed() == 1;
  }

 private:
  std::unique_ptr<fhir::PostgresConnection> db_;
  std::mutex mutex_;
};

}  // namespace

fhir::Result<std::shared_ptr<BulkJobStore>> open_postgres_bulk_job_store(const std::string& url) {
  auto db = fhir::PostgresConnection::open(url, std::string(kBulkJobStoreName));
  if (!db) return db.error();
  if (auto migrated = fhir::migrate_postgres_schema(**db, kBulkJobStoreName, kPostgresBulkJobMigrations); !migrated)
    return migrated.error();
  return std::shared_ptr<BulkJobStore>(new PostgresBulkJobStore(std::move(db).value()));
}

}  // namespace crdex::cdex::detail
