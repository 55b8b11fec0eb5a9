#pragma once
// Reads what rule conditions are evaluated against from a hook request: the
// call's context (patient age and gender, the member's Coverage, prefetched
// Conditions, today) and each order's facts (reasons, quantities, requester,
// performer, place of service, location state).

#include <simdjson.h>

#include <string>

#include "crdex/cards/order_under_review.hpp"
#include "crdex/config/evaluation_context.hpp"
#include "crdex/hooks/hook_request.hpp"

namespace crdex::hooks::detail {

config::EvaluationContext read_evaluation_context(const HookRequest& request, simdjson::dom::element coverage,
                                                  std::string today);

config::OrderFacts read_order_facts(const HookRequest& request, const cards::OrderUnderReview& order);

// Whole years between a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) and `today`.
std::optional<int> age_in_years(std::string_view birth_date, std::string_view today);

}  // namespace crdex::hooks::detail
