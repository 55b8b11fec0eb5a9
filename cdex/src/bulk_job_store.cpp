#include "crdex/cdex/bulk_job_store.hpp"

#include "bulk_job_store_backends.hpp"
#include "crdex/fhir/instant.hpp"

namespace crdex::cdex {

namespace {

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

}  // namespace

fhir::Result<std::shared_ptr<BulkJobStore>> open_bulk_job_store(const fhir::StoreLocation& location) {
  if (location.is_postgresql()) return detail::open_postgres_bulk_job_store(location.postgres_url);
  return BulkJobStore::open(location.sqlite_dir / "exports.sqlite");
}

fhir::Result<std::shared_ptr<BulkJobStore>> BulkJobStore::open(const std::filesystem::path& file) {
  return detail::open_sqlite_bulk_job_store(file);
}

BulkJobStore::~BulkJobStore() = default;

fhir::Result<bool> BulkJobStore::insert(const BulkJob& job, const std::string& holder,
                                        std::chrono::milliseconds lease) {
  if (!holder.empty() && lease.count() <= 0)
    return fhir::Error{500, fhir::IssueType::exception,
                       std::string(detail::kBulkJobStoreName) + ": a lease needs a positive time", ""};
  Row row{job, join(job.types)};
  row.job.files.clear();
  if (row.job.created_at.empty()) row.job.created_at = fhir::now_instant();
  row.job.updated_at = row.job.created_at;
  return insert_row(row, holder, lease.count());
}

fhir::Result<std::optional<BulkJob>> BulkJobStore::get(const std::string& id) {
  if (id.empty()) return std::optional<BulkJob>();
  auto rows = select_rows(id);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<BulkJob>();
  BulkJob job = std::move(rows->front().job);
  job.types = split(rows->front().types);
  return std::optional<BulkJob>(std::move(job));
}

fhir::Result<std::vector<BulkJob>> BulkJobStore::list() {
  auto rows = select_rows("");
  if (!rows) return rows.error();
  std::vector<BulkJob> out;
  out.reserve(rows->size());
  for (auto& row : *rows) {
    out.push_back(std::move(row.job));
    out.back().types = split(row.types);
  }
  return out;
}

fhir::Result<std::vector<std::string>> BulkJobStore::unfinished_ids() { return select_unfinished(""); }

fhir::Result<bool> BulkJobStore::claim(const std::string& id, const std::string& holder,
                                       std::chrono::milliseconds lease) {
  if (holder.empty() || lease.count() <= 0)
    return fhir::Error{500, fhir::IssueType::exception,
                       std::string(detail::kBulkJobStoreName) + ": a lease needs a holder and a positive time", ""};
  return claim_row(id, holder, lease.count());
}

fhir::Result<std::vector<std::string>> BulkJobStore::claimable_ids(const std::string& holder) {
  if (holder.empty()) return std::vector<std::string>();
  return select_unfinished(holder);
}

fhir::Result<int> BulkJobStore::release(const std::string& holder) {
  if (holder.empty()) return 0;
  return release_rows(holder);
}

fhir::Result<bool> BulkJobStore::update(const BulkJob& job, const std::string& holder) {
  if (holder.empty()) return false;
  return update_row(job, fhir::now_instant(), holder);
}

fhir::Result<bool> BulkJobStore::complete(const std::string& id, const std::vector<BulkJobFile>& files,
                                          const std::string& holder) {
  if (holder.empty()) return false;
  return complete_rows(id, files, fhir::now_instant(), holder);
}

fhir::Result<bool> BulkJobStore::cancel(const std::string& id) { return cancel_row(id, fhir::now_instant()); }

}  // namespace crdex::cdex
