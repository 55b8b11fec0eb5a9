#include "crdex/cdex/bulk_job_store.hpp"

#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/schema_migrations.hpp"

namespace crdex::cdex {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

constexpr std::string_view kStoreName = "export job store";

// Migration 1 is the schema before versioning (adopted as it is); 2 records
// what a Da Vinci export was for (davinci_data_export.hpp), "" for $export.
constexpr fhir::SchemaMigration kBulkJobMigrations[] = {
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
};

constexpr const char* kColumns =
    "id, created_at, updated_at, fhir_server, group_id, types, since, state, status_url, progress, polls, error, "
    "manifest, transaction_time, needs_token, export_type";

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    const auto comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

BulkJob read_job(const SqliteStatement& s) {
  BulkJob j;
  j.id = s.text(0);
  j.created_at = s.text(1);
  j.updated_at = s.text(2);
  j.fhir_server = s.text(3);
  j.group_id = s.text(4);
  j.types = split(s.text(5));
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
  return j;
}

}  // namespace

fhir::Result<std::shared_ptr<BulkJobStore>> BulkJobStore::open(const std::filesystem::path& file) {
  auto db = fhir::SqliteDatabase::open(file, "", {.name = std::string(kStoreName)});
  if (!db) return db.error();
  if (auto migrated = fhir::migrate_sqlite_schema(**db, kStoreName, kBulkJobMigrations); !migrated)
    return migrated.error();
  return std::shared_ptr<BulkJobStore>(new BulkJobStore(std::move(db).value()));
}

fhir::Result<bool> BulkJobStore::insert(const BulkJob& j) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, (std::string("INSERT INTO jobs (") + kColumns +
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  s.bind(1, j.id).bind(2, j.created_at).bind(3, j.created_at).bind(4, j.fhir_server).bind(5, j.group_id);
  s.bind(6, join(j.types)).bind(7, j.since).bind(8, j.state).bind(9, j.status_url).bind(10, j.progress);
  s.bind(11, j.polls).bind(12, j.error).bind(13, j.manifest).bind(14, j.transaction_time);
  s.bind(15, j.needs_token ? 1 : 0).bind(16, j.export_type);
  if (!s.run()) return db_->error("cannot store the job");
  return true;
}

fhir::Result<std::optional<BulkJob>> BulkJobStore::get(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, (std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?"));
  const SqliteStep rc = s.bind(1, id).step();
  if (rc == SqliteStep::done) return std::optional<BulkJob>();
  if (rc != SqliteStep::row) return db_->error("cannot read");
  auto job = read_job(s);
  if (!load_files(job)) return db_->error("cannot read the files");
  return std::optional<BulkJob>(std::move(job));
}

fhir::Result<std::vector<BulkJob>> BulkJobStore::list() {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, (std::string("SELECT ") + kColumns + " FROM jobs ORDER BY created_at, id"));
  std::vector<BulkJob> out;
  if (!s.each_row([&](const SqliteStatement& row) { out.push_back(read_job(row)); }))
    return db_->error("cannot list");
  for (auto& job : out)
    if (!load_files(job)) return db_->error("cannot read the files");
  return out;
}

bool BulkJobStore::load_files(BulkJob& job) {
  SqliteStatement f(*db_,
                    "SELECT sequence, kind, type, url, path, resources, bytes FROM files WHERE job_id = ? "
                    "ORDER BY sequence");
  f.bind(1, job.id);
  return f.each_row([&](const SqliteStatement& row) {
    job.files.push_back({static_cast<int>(row.integer(0)), row.text(1), row.text(2), row.text(3), row.text(4),
                         row.integer(5), row.integer(6)});
  });
}

fhir::Result<std::vector<std::string>> BulkJobStore::unfinished_ids() {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_,
                    "SELECT id FROM jobs WHERE state NOT IN ('completed', 'failed', 'cancelled') ORDER BY created_at");
  std::vector<std::string> out;
  if (!s.each_row([&](const SqliteStatement& row) { out.push_back(row.text(0)); }))
    return db_->error("cannot list");
  return out;
}

fhir::Result<bool> BulkJobStore::update(const BulkJob& j) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_,
                    "UPDATE jobs SET updated_at = ?, state = ?, status_url = ?, progress = ?, polls = ?, error = ?, "
                    "manifest = ?, transaction_time = ? "
                    "WHERE id = ? AND state NOT IN ('completed', 'failed', 'cancelled')");
  s.bind(1, fhir::now_instant()).bind(2, j.state).bind(3, j.status_url);
  s.bind(4, j.progress).bind(5, j.polls);
  s.bind(6, j.error).bind(7, j.manifest).bind(8, j.transaction_time).bind(9, j.id);
  if (!s.run()) return db_->error("cannot update");
  return db_->changes() == 1;
}

fhir::Result<bool> BulkJobStore::complete(const std::string& id, const std::vector<BulkJobFile>& files) {
  std::lock_guard lock(mutex_);
  SqliteTransaction tx(*db_);
  if (!tx.begun()) return db_->error("cannot begin");
  SqliteStatement done(*db_,
                       "UPDATE jobs SET updated_at = ?, state = 'completed', progress = '' WHERE id = ? AND state = "
                       "'downloading'");
  if (!done.bind(1, fhir::now_instant()).bind(2, id).run())
    return db_->error("cannot complete");
  if (db_->changes() != 1) return false;  // cancelled meanwhile
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

fhir::Result<bool> BulkJobStore::cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_,
                    "UPDATE jobs SET updated_at = ?, state = 'cancelled' WHERE id = ? AND state NOT IN ('completed', "
                    "'failed', 'cancelled')");
  if (!s.bind(1, fhir::now_instant()).bind(2, id).run()) return db_->error("cannot cancel");
  return db_->changes() == 1;
}

}  // namespace crdex::cdex
