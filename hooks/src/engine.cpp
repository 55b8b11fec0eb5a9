#include "crdex/hooks/engine.hpp"

#include <exception>
#include <utility>

#include "coverage_response.hpp"
#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/hooks/coverage_selection.hpp"
#include "crdex/hooks/hook_request.hpp"
#include "crdex/hooks/service_descriptor.hpp"
#include "discovery.hpp"
#include "prefetch/failure_policy.hpp"
#include "prefetch/filled_request.hpp"

namespace crdex::hooks {

namespace {

ServiceResponse failure(const fhir::Error& error) { return {error.http_status, fhir::operation_outcome_json(error)}; }

ServiceResponse needs_query() {
  ServiceResponse response;
  response.needs_query = true;
  return response;
}

// One parser per thread: simdjson reuses its buffers, so steady-state parsing
// allocates nothing.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// What crdex tolerates but the operator should hear about (docs/api.md).
void note_tolerated_gaps(const HookRequest& request, const LogSink* log) noexcept {
  if (!log || !*log || request.hook == "order-dispatch") return;  // order-dispatch has no userId
  auto user = request.context.element()["userId"];
  if (user.error() == simdjson::SUCCESS && !user.is_null()) return;
  try {
    (*log)(LogLevel::info, std::string(request.hook) + " " + std::string(request.hook_instance) +
                               ": context.userId is absent; answered without it (nothing in this call needs it)");
  } catch (...) {  // a sink that throws must not cost the EHR its answer
  }
}

}  // namespace

Engine::Engine(std::shared_ptr<const config::RuleCatalog> rules, PrefetchFillOptions fill)
    : rules_(std::move(rules)), fill_(fill), cache_(fill.cache) {}

void Engine::set_log_sink(LogSink sink) { log_sink_.store(std::make_shared<const LogSink>(std::move(sink))); }

std::string Engine::discovery() const { return detail::discovery_json(*rules_.load()); }

void Engine::replace_rules(std::shared_ptr<const config::RuleCatalog> rules) {
  rules_.store(std::move(rules));
  ++rules_replaced_;
}

// Details of an unexpected failure stay out of the answer: they may describe internals.
template <typename Work>
ServiceResponse without_exceptions(Work&& work) noexcept {
  try {
    return work();
  } catch (...) {
  }
  try {
    return failure({500, fhir::IssueType::exception, "internal error while evaluating the hook", ""});
  } catch (...) {
    return {500, {}};
  }
}

ServiceResponse Engine::call_service(std::string_view service_id, std::string_view body,
                                     std::string_view request_id, bool may_query) const noexcept {
  return without_exceptions([&] { return evaluate(service_id, body, request_id, may_query); });
}

ServiceResponse Engine::fill_prefetch(std::string_view service_id, std::string_view body,
                                      std::string_view request_id) const noexcept {
  return without_exceptions([&] { return fill_only(service_id, body, request_id); });
}

// This call's fill options: one deadline for all its I/O, its request id.
PrefetchFillOptions Engine::fill_for_call(std::string_view request_id) const {
  PrefetchFillOptions call = fill_.for_one_call();
  call.request_id = request_id;
  return call;
}

ServiceResponse Engine::fill_only(std::string_view service_id, std::string_view body,
                                  std::string_view request_id) const {
  const ServiceDescriptor* service = find_service(service_id);
  if (!service)
    return failure({404, fhir::IssueType::not_found, "no CDS service \"" + std::string(service_id) + "\"", ""});
  simdjson::dom::element root;
  if (auto error = fhir::parse_json(thread_parser(), body, root); error != simdjson::SUCCESS)
    return failure({400, fhir::IssueType::structure,
                    std::string("the request body is not valid JSON: ") + simdjson::error_message(error), ""});
  // Whatever is copied from the request keeps its numbers as the EHR wrote them.
  const fhir::SourceSpelling spelling(thread_parser(), body);
  auto request = read_hook_request(root, service->hook);
  if (!request) return failure(request.error());
  const auto lacking = prefetch_keys_to_fill(*request, service->prefetch);
  FilledPrefetch filled = hooks::fill_prefetch(*request, service->prefetch, lacking, fill_for_call(request_id), &cache_,
                                               service->role == HookRole::secondary);
  // Fill only: a key whose template says fail is reported in `problems`, not refused.
  (void)detail::apply_prefetch_failure_policy(service->prefetch, filled);
  return {200, detail::filled_request_json(root, filled)};
}

ServiceResponse Engine::evaluate(std::string_view service_id, std::string_view body,
                                 std::string_view request_id, bool may_query) const {
  const ServiceDescriptor* service = find_service(service_id);
  if (!service)
    return failure({404, fhir::IssueType::not_found, "no CDS service \"" + std::string(service_id) + "\"", ""});

  simdjson::dom::element root;
  if (auto error = fhir::parse_json(thread_parser(), body, root); error != simdjson::SUCCESS)
    return failure({400, fhir::IssueType::structure,
                    std::string("the request body is not valid JSON: ") + simdjson::error_message(error), ""});
  // Whatever is copied from the request keeps its numbers as the EHR wrote them.
  const fhir::SourceSpelling spelling(thread_parser(), body);

  auto request = read_hook_request(root, service->hook);
  if (!request) return failure(request.error());
  // Only a request with fhirServer and fhirAuthorization can make crdex
  // query, and only when the fill and the lookup would not refuse its URL.
  const bool could_query = !request->fhir_server.empty() && !request->access_token.empty() &&
                           !fhir::check_fhir_server_url(request->fhir_server, fill_.allow_plain_http);
  const auto lacking = prefetch_keys_to_fill(*request, service->prefetch);
  if (!may_query && could_query && !lacking.empty()) return needs_query();
  const auto log = log_sink_.load();
  // Noted once per answered call: a call given back with needs_query is
  // noted when it is evaluated again.
  bool gaps_noted = false;
  const auto note_gaps = [&] {
    if (!std::exchange(gaps_noted, true)) note_tolerated_gaps(*request, log.get());
  };
  if (may_query || !could_query) note_gaps();
  const auto answered = [&](ServiceResponse response) {
    note_gaps();
    response.hook = request->hook;
    response.hook_instance = request->hook_instance;
    std::string_view patient;
    if (request->context.element()["patientId"].get_string().get(patient) == simdjson::SUCCESS)
      response.patient_id = patient;
    return response;
  };
  // One deadline for all of this call's I/O: prefetch fill, then the
  // Questionnaire lookup with whatever the fill left.
  const PrefetchFillOptions call_fill = fill_for_call(request_id);
  // Keys the EHR did not send (or sent as an OperationOutcome) are fetched
  // from its FHIR server first, so everything below sees a complete prefetch.
  FilledPrefetch filled;
  if (!lacking.empty()) {
    // Secondary hooks warm the cache a later order-sign for the patient reads.
    filled = hooks::fill_prefetch(*request, service->prefetch, lacking, call_fill, &cache_,
                                  service->role == HookRole::secondary);
    request->filled = &filled;
    prefetch_queries_ += filled.queries.size();
    prefetch_failures_ += filled.problems.size();
  }
  // What each unfetched key means is its template's failure policy.
  const auto refused = detail::apply_prefetch_failure_policy(service->prefetch, filled);
  auto orders = service->orders_in_scope(*request);
  if (!orders) return answered(failure(orders.error()));

  // One snapshot for the whole call, even if rules are replaced meanwhile.
  if (refused) return answered(failure(*refused));
  const auto rules = rules_.load();
  auto coverage = select_coverage(*request, *rules, fhir::today_utc_date());
  if (!coverage) return answered(failure(coverage.error()));

  const detail::ResponseSettings settings{trace_allowed_, service->role, &call_fill, log.get(), smart_links_.get(),
                                          may_query || !could_query};
  auto answer = detail::coverage_response_json(*request, *orders, *coverage, *rules, settings);
  if (answer.needs_query) return needs_query();
  return answered({200, std::move(answer.body), coverage->payer->payer_id, std::move(answer.cards)});
}

}  // namespace crdex::hooks
