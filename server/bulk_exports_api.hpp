#pragma once
// Bulk export jobs over HTTP ("data for my whole attributed panel"):
//   POST   /bulk-exports        {"fhirServer", "group", "types":[...], "since", "accessToken"}
//                               -> 202 + Location /bulk-exports/{id}, the job
//   GET    /bulk-exports        every job
//   GET    /bulk-exports/{id}   the job: state, progress, polls, error, files
//   DELETE /bulk-exports/{id}   cancel (the server is told; files removed) -> 202

#include <memory>

#include "api_module.hpp"
#include "crdex/cdex/bulk_export_runner.hpp"

namespace crdex::server {

class BulkExportsApi : public ApiModule {
 public:
  explicit BulkExportsApi(std::shared_ptr<cdex::BulkExportRunner> runner) : runner_(std::move(runner)) {}

  // Store writes; cancel calls the FHIR server: every route runs on a worker.
  // Every route: an operator with the "bulk" role (--operators).
  std::vector<Route> routes() const override;

 private:
  ApiAnswer start(const Pistache::Http::Request& request) const;
  ApiAnswer list() const;
  ApiAnswer show(const std::string& id, bool cancel) const;
  std::shared_ptr<cdex::BulkExportRunner> runner_;
};

}  // namespace crdex::server
