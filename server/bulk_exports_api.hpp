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
  explicit BulkExportsApi(std::shared_ptr<BulkExportRunner> runner) : runner_(std::move(runner)) {}

  bool serves(std::string_view path) const override;
  ApiAnswer handle(const Pistache::Http::Request& request, std::string_view path) const override;
  bool blocking() const override { return true; }  // store writes; cancel calls the FHIR server

 private:
  ApiAnswer start(const Pistache::Http::Request& request) const;
  std::shared_ptr<BulkExportRunner> runner_;
};

}  // namespace crdex::server
