#pragma once
// Engine: the one entry point both faces use. crdex-server turns HTTP into
// these calls; the plugin (libcrdex.so) turns C calls into them. Neither face
// holds CDS logic of its own.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/hooks/log_sink.hpp"
#include "crdex/hooks/prefetch_fill.hpp"
#include "crdex/hooks/smart_link_launcher.hpp"

namespace crdex::hooks {

// What a service call answers: an HTTP-style status (200, or the 4xx the CDS
// Hooks and CRD specifications name) and a JSON body — the CDS Hooks response
// on 200, a FHIR OperationOutcome otherwise.
//
// Beside the body, a 200 says where its cards came from, so that the audit log
// can record it and feedback on a card (by its uuid) can be credited to the
// payer rule that produced it.
struct CardOrigin {
  std::string card_uuid;
  std::string order;       // "ServiceRequest/1357"
  std::string rule_id;     // the winning rule; "defaultOutcome"; or "crdex:<reason>" for outcomes crdex made up
  int rule_set_version = 0;
  std::string card_type;   // cdshooks-card-type code (coverage-info, guideline, ...)
  std::string decision;    // the order's coverage decision: "<covered>/<pa-needed>", e.g. "conditional/auth-needed"
};

struct ServiceResponse {
  ServiceResponse() = default;
  ServiceResponse(int status_code, std::string body_text, std::string payer = {}, std::vector<CardOrigin> origins = {})
      : status(status_code), body(std::move(body_text)), payer_id(std::move(payer)), cards(std::move(origins)) {}

  int status = 200;
  std::string body;
  std::string payer_id;  // the payer whose rules answered (200 only)
  std::vector<CardOrigin> cards;
  // What the audit log searches by, read from the request while it was
  // parsed for the call (so the log need not parse it again); empty when the
  // request was refused before they were read.
  std::string hook;
  std::string hook_instance;
  std::string patient_id;  // context.patientId
  // Asked with may_query false: the call would have queried the EHR's FHIR
  // server, so it was not answered (status and body mean nothing); call
  // again where blocking is allowed.
  bool needs_query = false;
};

class Engine {
 public:
  // `fill` governs how prefetch keys the EHR did not send are fetched from
  // its FHIR server (Direct Query).
  explicit Engine(std::shared_ptr<const config::RuleCatalog> rules, PrefetchFillOptions fill = {});

  // GET /cds-services.
  std::string discovery() const;

  // POST /cds-services/{id} with `body`. Never throws: internal failures
  // become a 500 OperationOutcome whose text reveals nothing internal.
  // `request_id` (the call's X-Request-Id) goes on every query the call makes
  // to the EHR's FHIR server (prefetch fill, Questionnaire lookup).
  // `may_query` false (crdex-server's event threads, which must not block):
  // a call that would query the EHR's FHIR server (prefetch to fill with the
  // request's fhirAuthorization, or the payer's Questionnaires to look up)
  // stops before it does and answers with `needs_query` set; a call that
  // needs no query is answered exactly as with `may_query` true.
  ServiceResponse call_service(std::string_view service_id, std::string_view body,
                               std::string_view request_id = {}, bool may_query = true) const noexcept;

  // Direct Query without evaluation (the plugin's crdex_engine_fill_prefetch):
  // the request checked as for call_service, its lacking prefetch keys
  // fetched, and on 200 a JSON object {"request": the hook request with
  // those keys filled in, "queries": [{key, query, round}], "problems":
  // {key: why}}. Never throws.
  ServiceResponse fill_prefetch(std::string_view service_id, std::string_view body,
                                std::string_view request_id = {}) const noexcept;

  // Publishes a new rule catalog; calls already running finish on the old one.
  void replace_rules(std::shared_ptr<const config::RuleCatalog> rules);
  std::shared_ptr<const config::RuleCatalog> rules() const { return rules_.load(); }

  // Entries in the prefetch cache (prefetch_cache.hpp), for tests and metrics.
  size_t cached_queries() const { return cache_.size(); }

  // Running totals since start, for metrics: FHIR queries sent to fill
  // missing prefetch, prefetch keys left unfilled, catalogs put into service
  // by replace_rules.
  struct Counts {
    uint64_t prefetch_queries = 0;
    uint64_t prefetch_failures = 0;
    uint64_t rules_replaced = 0;
  };
  Counts counts() const {
    return {prefetch_queries_.load(), prefetch_failures_.load(), rules_replaced_.load()};
  }

  // Lets requests ask for the rule evaluation trace (off unless configured).
  void allow_rule_trace(bool allowed) { trace_allowed_ = allowed; }

  // Where run-time problems are reported (log_sink.hpp); replaces the last sink.
  void set_log_sink(LogSink sink);
  // Lets requests ask for their cards' SMART links as launch URLs
  // ("crdex-smart-launch"); set once before serving.
  void set_smart_link_launcher(std::shared_ptr<const SmartLinkLauncher> launcher) {
    smart_links_ = std::move(launcher);
  }

 private:
  ServiceResponse evaluate(std::string_view service_id, std::string_view body, std::string_view request_id,
                           bool may_query) const;
  ServiceResponse fill_only(std::string_view service_id, std::string_view body, std::string_view request_id) const;
  PrefetchFillOptions fill_for_call(std::string_view request_id) const;

  std::atomic<std::shared_ptr<const config::RuleCatalog>> rules_;
  PrefetchFillOptions fill_;
  mutable PrefetchCache cache_;  // what secondary hooks fetched, for a later order-sign
  std::atomic<bool> trace_allowed_{false};
  std::atomic<std::shared_ptr<const LogSink>> log_sink_;
  std::shared_ptr<const SmartLinkLauncher> smart_links_;
  mutable std::atomic<uint64_t> prefetch_queries_{0};
  mutable std::atomic<uint64_t> prefetch_failures_{0};
  std::atomic<uint64_t> rules_replaced_{0};
};

}  // namespace crdex::hooks
