#pragma once
// Bulk export jobs: what was asked, where the job stands (status URL,
// progress, manifest) and the files downloaded. Kept in --data
// DIR/exports.sqlite (the embedded default) or in the PostgreSQL database
// replicas share (`--store postgresql://...`, tables bulk_jobs and
// bulk_job_files). Every transition is committed before the next exchange,
// so a restart resumes each unfinished job from its last state; a cancelled
// job is never revived by a step that was running while it was cancelled.
//
// Leases: a replica runs a job's steps only while it holds the job's lease
// (holder, lease_until). claim() takes or renews it in one statement — free,
// already ours, or expired — so two replicas never hold one job at once, and
// a replica that died stops renewing and its jobs are taken over when the
// lease runs out. The lease clock is the database's (PostgreSQL's
// clock_timestamp(), SQLite's 'now'), so replicas on machines whose clocks
// differ still agree. Writes of a step (update, complete) are fenced by the
// holder: a replica that lost its lease cannot overwrite the new holder's
// work. SQLite has the same columns and rules (one process, one behaviour).
//
// The rules common to both back ends (times, the lease's bounds, the type
// list's encoding) are here; a back end only stores and reads rows
// (bulk_job_store_sqlite.cpp, bulk_job_store_postgres.cpp).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"

namespace crdex::cdex {

struct BulkJobFile {
  int sequence = 0;
  std::string kind;  // "output" | "error"
  std::string type;
  std::string url;
  // Under --data/exports/<job>/ of the replica that downloaded it: with
  // replicas, that directory is shared storage mounted at the same path on
  // every replica (docs/deploy.md).
  std::string path;
  int64_t resources = 0;
  int64_t bytes = 0;
};

struct BulkJob {
  std::string id;
  std::string created_at;
  std::string updated_at;
  std::string fhir_server;
  std::string group_id;
  std::vector<std::string> types;
  std::string since;
  std::string export_type;  // "" ($export) or a Da Vinci exportType ($davinci-data-export)
  // kick-off -> in-progress -> downloading -> completed; or failed / cancelled
  std::string state;
  std::string status_url;
  std::string progress;
  int64_t polls = 0;
  std::string error;
  std::string manifest;
  std::string transaction_time;
  bool needs_token = false;
  std::vector<BulkJobFile> files;
  // The replica holding (or that last held) the lease, and until when (ms
  // since the epoch, the database's clock; 0: released). Read only: claim()
  // and release() write them.
  std::string lease_holder;
  int64_t lease_until_ms = 0;

  bool finished() const { return state == "completed" || state == "failed" || state == "cancelled"; }
};

// [thread-safe]: each back end serialises its connection.
class BulkJobStore {
 public:
  // The SQLite store in `file` (created or migrated).
  static fhir::Result<std::shared_ptr<BulkJobStore>> open(const std::filesystem::path& file);
  virtual ~BulkJobStore();
  BulkJobStore(const BulkJobStore&) = delete;
  BulkJobStore& operator=(const BulkJobStore&) = delete;

  // Stores a new job, its lease already `holder`'s when one is given (so no
  // other replica adopts it before the submitting one claims it).
  fhir::Result<bool> insert(const BulkJob& job, const std::string& holder = {},
                            std::chrono::milliseconds lease = std::chrono::milliseconds(0));
  fhir::Result<std::optional<BulkJob>> get(const std::string& id);
  fhir::Result<std::vector<BulkJob>> list();
  fhir::Result<std::vector<std::string>> unfinished_ids();

  // Takes or renews the lease of an unfinished job for `holder` until
  // `lease` from now, when it is free, already `holder`'s or expired. False
  // when another replica holds it, or the job is finished or unknown.
  fhir::Result<bool> claim(const std::string& id, const std::string& holder, std::chrono::milliseconds lease);
  // Unfinished jobs `holder` could claim now (free, its own, or expired).
  fhir::Result<std::vector<std::string>> claimable_ids(const std::string& holder);
  // Ends `holder`'s leases (a replica stopping): others may take its jobs at once.
  fhir::Result<int> release(const std::string& holder);

  // Writes the job's state fields if it is unfinished and `holder` holds its
  // lease (a cancel wins over a step that was running; a replica that lost
  // the lease writes nothing). False otherwise.
  fhir::Result<bool> update(const BulkJob& job, const std::string& holder);
  // Replaces the job's files and marks it completed, in one transaction, if
  // it is downloading and `holder` holds its lease.
  fhir::Result<bool> complete(const std::string& id, const std::vector<BulkJobFile>& files,
                              const std::string& holder);
  // Marks an unfinished job cancelled whoever holds it; false when it had already finished.
  fhir::Result<bool> cancel(const std::string& id);

 protected:
  BulkJobStore() = default;
  // One row of `jobs`, the type list joined with commas.
  struct Row {
    BulkJob job;  // files empty
    std::string types;
  };
  // `holder` empty: no lease; else held for `lease_ms` from the database's now.
  virtual fhir::Result<bool> insert_row(const Row& row, const std::string& holder, int64_t lease_ms) = 0;
  // The row `id`, or every row (ordered by created_at, id) when `id` is empty, with their files.
  virtual fhir::Result<std::vector<Row>> select_rows(const std::string& id) = 0;
  virtual fhir::Result<std::vector<std::string>> select_unfinished(const std::string& claimable_by) = 0;
  virtual fhir::Result<bool> claim_row(const std::string& id, const std::string& holder, int64_t lease_ms) = 0;
  virtual fhir::Result<int> release_rows(const std::string& holder) = 0;
  virtual fhir::Result<bool> update_row(const BulkJob& job, const std::string& updated_at,
                                        const std::string& holder) = 0;
  virtual fhir::Result<bool> complete_rows(const std::string& id, const std::vector<BulkJobFile>& files,
                                           const std::string& updated_at, const std::string& holder) = 0;
  virtual fhir::Result<bool> cancel_row(const std::string& id, const std::string& updated_at) = 0;
};

// The job store `--store` names: exports.sqlite under the SQLite directory
// (the file name crdex always used), or the PostgreSQL database.
fhir::Result<std::shared_ptr<BulkJobStore>> open_bulk_job_store(const fhir::StoreLocation& location);

}  // namespace crdex::cdex
