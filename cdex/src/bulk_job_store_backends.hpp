#pragma once
// The export job store's back ends, opened by open_bulk_job_store, and what
// both share: the store's name in errors and the job states that are final.

#include <memory>
#include <string>
#include <string_view>

#include "crdex/cdex/bulk_job_store.hpp"

namespace crdex::cdex::detail {

inline constexpr std::string_view kBulkJobStoreName = "export job store";
// SQL for "the job is unfinished", the same on both back ends.
inline constexpr const char* kUnfinishedJob = "state NOT IN ('completed', 'failed', 'cancelled')";

fhir::Result<std::shared_ptr<BulkJobStore>> open_sqlite_bulk_job_store(const std::filesystem::path& file);
fhir::Result<std::shared_ptr<BulkJobStore>> open_postgres_bulk_job_store(const std::string& url);

}  // namespace crdex::cdex::detail
