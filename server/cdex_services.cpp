#include "cdex_services.hpp"

#include <spdlog/spdlog.h>

#include "attachments_api.hpp"
#include "bulk_exports_api.hpp"
#include "crdex/cdex/attachment_store.hpp"
#include "crdex/cdex/bulk_job_store.hpp"
#include "crdex/cdex/push_queue.hpp"
#include "crdex/cdex/signature_agreements.hpp"
#include "destinations.hpp"
#include "events_api.hpp"

namespace crdex::server {

void CdexServices::stop_tasks() {
  if (tasks) tasks->stop();
}

void CdexServices::stop() {
  stop_tasks();
  if (bulk_runner) bulk_runner->stop();  // its step in progress ends committed; jobs resume on the next start
  if (push_sender) push_sender->stop();  // its attempt in progress ends committed; queued pushes go on
}

std::optional<CdexServices> start_cdex_services(const ServerOptions& options, const fhir::StoreLocation& store_location,
                                                FrontState& state) {
  CdexServices services;
  // Where the outbox, the CDex consumer and Bulk exports may send (never a URL only a request names).
  std::shared_ptr<const Destinations> destinations;
  if (!options.destinations_file.empty()) {
    auto loaded = Destinations::load(options.destinations_file, {}, options.fill.allow_plain_http);
    if (!loaded) {
      spdlog::critical("--destinations {}", loaded.error().message);
      return std::nullopt;
    }
    destinations = std::move(loaded).value();
    spdlog::info("{} outbound destination(s) configured", destinations->all().size());
  }
  auto cdex_api = CdexApi::create(options.cdex, store_location, options.fill.allow_plain_http,
                                            options.fill.max_pages, destinations);
  if (!cdex_api) {
    spdlog::critical("CDex: {}", cdex_api.error().message);
    return std::nullopt;
  }
  state.modules.push_back(*cdex_api);
  services.tasks = *cdex_api;
  // CDex attachments and Bulk Data exports (issue 8), in the store --store
  // names; export jobs are leased per job, their files under --data/exports.
  auto attachments = cdex::open_attachment_store(store_location);
  auto export_jobs = cdex::open_bulk_job_store(store_location);
  if (!attachments || !export_jobs) {
    spdlog::critical("{}", (!attachments ? attachments.error() : export_jobs.error()).message);
    return std::nullopt;
  }
  AttachmentsApiOptions attachment_options;
  attachment_options.allow_plain_http = options.fill.allow_plain_http;
  attachment_options.destinations = destinations;
  if (!options.cdex.signature_agreements_file.empty()) {
    auto agreements = cdex::SignatureAgreements::from_file(options.cdex.signature_agreements_file);
    if (!agreements) {
      spdlog::critical("--cdex-signature-agreements: {}", agreements.error().message);
      return std::nullopt;
    }
    attachment_options.signatures = std::make_shared<const cdex::SignatureAgreements>(std::move(*agreements));
  }
  state.modules.push_back(std::make_shared<AttachmentsApi>(std::move(attachments).value(),
                                                                           std::move(attachment_options)));
  cdex::BulkExportOptions bulk_options;
  bulk_options.min_poll = options.bulk_poll_min;
  bulk_options.max_poll = options.bulk_poll_max;
  bulk_options.lease = options.job_lease;
  bulk_options.allow_plain_http = options.fill.allow_plain_http;
  bulk_options.token_for = token_lookup(destinations);
  bulk_options.report = [](cdex::BulkReportLevel level, const std::string& message) {
    using L = cdex::BulkReportLevel;
    spdlog::log(level == L::error     ? spdlog::level::err
                : level == L::warning ? spdlog::level::warn
                                      : spdlog::level::info,
                "{}", message);
  };
  auto bulk_runner = std::make_shared<cdex::BulkExportRunner>(std::move(export_jobs).value(),
                                                                    options.data_dir / "exports", bulk_options);
  if (auto resumed = bulk_runner->start(); !resumed) {
    spdlog::critical("cannot resume export jobs: {}", resumed.error().message);
    return std::nullopt;
  } else if (*resumed > 0) {
    spdlog::info("resuming {} unfinished export job(s)", *resumed);
  }
  services.bulk_runner = bulk_runner;
  state.modules.push_back(std::make_shared<BulkExportsApi>(bulk_runner, destinations));
  // Provider-initiated pushes (issue 22): POST /events queues in the store (push.sqlite, or the
  // PostgreSQL database replicas share), one thread per replica sends what it claims.
  auto push_queue = cdex::open_push_queue(store_location);
  if (!push_queue) {
    spdlog::critical("{}", push_queue.error().message);
    return std::nullopt;
  }
  cdex::PushSenderOptions push_options;
  push_options.max_attempts = options.push_max_attempts;
  push_options.initial_backoff = options.push_backoff_min;
  push_options.max_backoff = options.push_backoff_max;
  push_options.allow_plain_http = options.fill.allow_plain_http;
  push_options.route = [destinations](std::string_view name) -> fhir::Result<cdex::OutboxTarget> {
    auto chosen = destinations ? destinations->choose(name, {}, "destination")
                               : fhir::Result<const Destination*>(fhir::Error{
                                     400, fhir::IssueType::security,
                                     "pushes go only to configured destinations, and none is configured "
                                     "(--destinations)",
                                     ""});
    if (!chosen) return chosen.error();
    auto token = (*chosen)->bearer_token();
    if (!token) return token.error();
    return cdex::OutboxTarget{(*chosen)->url + "/$submit-attachment", *token};
  };
  push_options.report = [](bool error, const std::string& message) {
    if (error) spdlog::warn("{}", message);
    else spdlog::info("{}", message);
  };
  auto push_sender = std::make_shared<cdex::PushSender>(std::move(push_queue).value(), push_options);
  push_sender->start();
  services.push_sender = push_sender;
  state.modules.push_back(std::make_shared<EventsApi>(
      [engine = state.engine] { return engine->rules(); }, push_sender));
  return services;
}

}  // namespace crdex::server
