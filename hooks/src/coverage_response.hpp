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
#include "crdex/hooks/hook_request.hpp"
#include "crdex/hooks/service_descriptor.hpp"
#include "crdex/hooks/smart_link_launcher.hpp"

namespace crdex::hooks::detail {

// `trace_allowed`: the service is configured to honour a request's
// `davinci-crd.configuration` setting "crdex-rule-trace": true, which adds
// the rule evaluation trace as the response extension "crdex.rule-trace".
std::string coverage_response_json(const HookRequest& request, const std::vector<cards::OrderUnderReview>& orders,
                                   const SelectedCoverage& coverage, const config::RuleCatalog& rules,
                                   bool trace_allowed, HookRole role,
                                   const SmartLinkLauncher* smart_links = nullptr);

}  // namespace crdex::hooks::detail
