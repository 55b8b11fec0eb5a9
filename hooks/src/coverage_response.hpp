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
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks::detail {

std::string coverage_response_json(const std::vector<cards::OrderUnderReview>& orders,
                                   const SelectedCoverage& coverage, const config::RuleCatalog& rules,
                                   const CrdConfiguration& configuration, HookRole role);

}  // namespace crdex::hooks::detail
