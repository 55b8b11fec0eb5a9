#pragma once
// Builds the CDS Hooks response for the orders in scope: one coverage-
// information system action per order and the cards the decisions call for,
// filtered by the EHR's davinci-crd.configuration.

#include <string>
#include <vector>

#include "crdex/cards/order_under_review.hpp"
#include "crdex/config/rule_catalog.hpp"
#include "crdex/hooks/coverage_selection.hpp"
#include "crdex/hooks/crd_configuration.hpp"
#include "crdex/hooks/engine.hpp"
#include "crdex/hooks/hook_request.hpp"
#include "crdex/hooks/log_sink.hpp"
#include "crdex/hooks/prefetch_fill.hpp"
#include "crdex/hooks/service_descriptor.hpp"
#include "crdex/hooks/smart_link_launcher.hpp"

namespace crdex::hooks::detail {

struct CoverageResponse {
  std::string body;
  std::vector<CardOrigin> cards;  // one per card in the body
  // With ResponseSettings::may_query false: the Questionnaire lookup would
  // query the EHR, so nothing was answered (nor reported).
  bool needs_query = false;
};

struct ResponseSettings {
  // The service honours a request's `davinci-crd.configuration` setting
  // "crdex-rule-trace": true, which adds the rule evaluation trace as the
  // response extension "crdex.rule-trace".
  bool trace_allowed = false;
  HookRole role = HookRole::primary;
  // Direct Query settings for asking the EHR whether it holds a payer's
  // Questionnaire (CRD dev-20); nullptr: crdex does not ask.
  const PrefetchFillOptions* fill = nullptr;
  const LogSink* log = nullptr;  // run-time problems; nullptr: not reported
  // Turns the cards' SMART links into launches when the request asks
  // ("crdex-smart-launch"); nullptr: links stay as the rules wrote them.
  const SmartLinkLauncher* smart_links = nullptr;
  // False: stop (needs_query) rather than ask the EHR for Questionnaires.
  bool may_query = true;
};

CoverageResponse coverage_response_json(const HookRequest& request,
                                        const std::vector<cards::OrderUnderReview>& orders,
                                        const SelectedCoverage& coverage, const config::RuleCatalog& rules,
                                        const ResponseSettings& settings);

}  // namespace crdex::hooks::detail
