#pragma once
// Bulk export jobs over HTTP ("data for my whole attributed panel"):
//   POST   /bulk-exports        {"fhirServer", "group", "types":[...], "since", "accessToken",
//                                "exportType"} -> 202 + Location /bulk-exports/{id}, the job;
//                               exportType hl7.fhir.us.davinci-atr: $davinci-data-export, and
//                               types must include Group, Patient, Coverage (else 400 on _type)
//   GET    /bulk-exports        every job
//   GET    /bulk-exports/{id}   the job: state, progress, polls, error, files (an ATR job's
//                               "roster": its Group / Patient / Coverage counts)
//   DELETE /bulk-exports/{id}   cancel (the server is told; files removed) -> 202

#include <memory>

#include "api_module.hpp"
#include "crdex/cdex/bulk_export_runner.hpp"
#include "destinations.hpp"

namespace crdex::server {

class BulkExportsApi : public ApiModule {
 public:
  // `destinations`: the servers an export may name (destinations.hpp); null: none.
  explicit BulkExportsApi(std::shared_ptr<cdex::BulkExportRunner> runner,
                          std::shared_ptr<const Destinations> destinations = nullptr)
      : runner_(std::move(runner)), destinations_(std::move(destinations)) {}

  // Store writes; cancel calls the FHIR server: every route runs on a worker.
  // Every route: an operator with the "bulk" role (--operators).
  std::vector<Route> routes() const override;

 private:
  ApiAnswer start(const Pistache::Http::Request& request) const;
  ApiAnswer list() const;
  ApiAnswer show(const std::string& id, bool cancel) const;
  std::shared_ptr<cdex::BulkExportRunner> runner_;
  std::shared_ptr<const Destinations> destinations_;
};

}  // namespace crdex::server
