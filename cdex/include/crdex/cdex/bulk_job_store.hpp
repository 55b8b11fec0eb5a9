#pragma once
// Bulk export jobs in --data DIR/exports.sqlite: what was asked, where the
// job stands (status URL, progress, manifest) and the files downloaded. Every
// transition is committed before the next exchange, so a restart resumes each
// unfinished job from its last state; a cancelled job is never revived by a
// step that was running while it was cancelled.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::cdex {

struct BulkJobFile {
  int sequence = 0;
  std::string kind;  // "output" | "error"
  std::string type;
  std::string url;
  std::string path;  // on this machine, under --data/exports/<job>/
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

  bool finished() const { return state == "completed" || state == "failed" || state == "cancelled"; }
};

class BulkJobStore {
 public:
  static fhir::Result<std::shared_ptr<BulkJobStore>> open(const std::filesystem::path& file);

  fhir::Result<bool> insert(const BulkJob& job);
  fhir::Result<std::optional<BulkJob>> get(const std::string& id);
  fhir::Result<std::vector<BulkJob>> list();
  fhir::Result<std::vector<std::string>> unfinished_ids();

  // Writes the job's state fields unless it is already finished (a cancel
  // wins over a step that was running). Returns false when it was finished.
  fhir::Result<bool> update(const BulkJob& job);
  // Replaces the job's files and marks it completed, in one transaction.
  fhir::Result<bool> complete(const std::string& id, const std::vector<BulkJobFile>& files);
  // Marks an unfinished job cancelled; false when it had already finished.
  fhir::Result<bool> cancel(const std::string& id);

 private:
  explicit BulkJobStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}
  bool load_files(BulkJob& job);  // caller holds mutex_
  std::mutex mutex_;
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace crdex::cdex
