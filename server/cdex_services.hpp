#pragma once
// The CDex side of crdex-server, started together: the CDex Task API (Data
// Source and Data Consumer), attachments, Bulk export jobs and
// provider-initiated pushes, each on the store --store names, with the
// outbound destinations they may send to (--destinations). Their modules go
// into the front's state; their background threads (the Data Source worker
// and the consumer's scheduler, the export runner, the push sender) run until
// stopped. Failures are logged; nullopt means the server must not start.

#include <memory>
#include <optional>

#include "cdex_api.hpp"
#include "crdex/cdex/bulk_export_runner.hpp"
#include "crdex/cdex/push_sender.hpp"
#include "crdex/fhir/store_location.hpp"
#include "http_front.hpp"
#include "server_options.hpp"

namespace crdex::server {

struct CdexServices {
  std::shared_ptr<CdexApi> tasks;  // the CDex Task API and its threads
  std::shared_ptr<cdex::BulkExportRunner> bulk_runner;
  std::shared_ptr<cdex::PushSender> push_sender;

  // The CDex Task work first (on SIGTERM, before the drain): the work in
  // hand finishes, the rest stays stored, and calls waiting on a consumer
  // request (?wait-ms) answer now.
  void stop_tasks();
  // Everything, the Task work included; each ends with its state committed.
  void stop();
};

std::optional<CdexServices> start_cdex_services(const ServerOptions& options, const fhir::StoreLocation& store_location,
                                                FrontState& state);

}  // namespace crdex::server
