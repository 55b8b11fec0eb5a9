#pragma once
// The CDex task-based endpoints (docs/cdex.md):
//
//   Data Source (when --cdex-ehr-fhir is set), the FHIR face Data Consumers call:
//     POST /fhir/Task             a cdex-task-data-request; 201 + the Task, 400/422 + OperationOutcome
//     GET  /fhir/Task/{id}        the Task as it stands (what consumers poll)
//     GET  /fhir/Task?status=S    searchset Bundle
//   A consumer whose agreement requires signed reads (--cdex-source-signature-agreements)
//   gets the searchset signed, or 400 business-rule when crdex cannot sign (CDX-03).
//   Human review (admin token):
//     GET  /cdex/review                 Tasks waiting on-hold
//     POST /cdex/review/{id}/approve    {"note": "..."} optional
//     POST /cdex/review/{id}/reject     {"reason": "..."}
//   Data Consumer (admin token):
//     POST /cdex/requests               build, POST and follow a Task (201 + the request)
//     GET  /cdex/requests/{id}[?wait-ms=N]  the request; with wait-ms, answers once it is
//                                           done or N ms (at most 60000) have passed
//
// Every handler may write the store or call out, so the module is blocking.

#include <memory>
#include <string>

#include "api_module.hpp"
#include "cdex_options.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"
#include "crdex/cdex/consumer.hpp"
#include "crdex/cdex/data_source.hpp"
#include "crdex/cdex/signed_reads.hpp"
#include "destinations.hpp"

namespace crdex::server {

class CdexApi : public ApiModule {
 public:
  // Opens the task store `store` names (cdex.sqlite under its directory, or
  // the PostgreSQL database replicas share) and starts the consumer's
  // scheduler and, when configured, the data source's worker (both resume
  // stored work).
  static fhir::Result<std::shared_ptr<CdexApi>> create(const CdexOptions& options, const fhir::StoreLocation& store,
                                                       bool allow_plain_http, int max_pages,
                                                       std::shared_ptr<const Destinations> destinations = nullptr);

  std::vector<Route> routes() const override;
  // GET /fhir/Task reads `status` (the CapabilityStatement says so).
  std::vector<SearchParam> search_params(std::string_view pattern) const override;

  // Ends the background threads (after the work in hand); called on shutdown.
  void stop();

  cdex::DataSource* data_source() const { return source_.get(); }

 private:
  ApiAnswer search_tasks(const Pistache::Http::Request& request, const Caller& caller) const;
  ApiAnswer submit_task(const Pistache::Http::Request& request) const;
  ApiAnswer read_task(const std::string& id, const Caller& caller) const;
  // `document` as the caller may have it: signed, refused or as it is (signed_reads.hpp).
  ApiAnswer signed_if_agreed(const Caller& caller, std::string document) const;
  ApiAnswer waiting_review() const;
  ApiAnswer review(const Pistache::Http::Request& request, const std::string& id, bool approve) const;
  ApiAnswer start_request(const Pistache::Http::Request& request) const;
  ApiAnswer show_request(const Pistache::Http::Request& request, const std::string& id) const;

  std::shared_ptr<cdex::TaskStore> store_;
  std::unique_ptr<cdex::DataSource> source_;
  std::optional<cdex::SignedReads> signed_reads_;
  std::unique_ptr<cdex::Consumer> consumer_;
  std::shared_ptr<const Destinations> destinations_;  // where the consumer may send Tasks
  std::string client_token_;
  std::string admin_token_;
};

// The consumer's request body ({"source": ..., "query" | "dataCode" |
// "questionnaire", "for", "requester", "owner", ...}) read into a DataRequest
// and the source base; errors name the field.
struct ConsumerRequestBody {
  std::string source;
  std::string follow_task_id;  // {"source", "taskId"}: follow an existing Task instead
  fhir::cdex::DataRequest request;
};
fhir::Result<ConsumerRequestBody> read_consumer_request(std::string_view body);

// A consumer request as the /cdex/requests endpoints show it.
std::string consumer_request_json(const cdex::ConsumerRequestRow& row);

}  // namespace crdex::server
