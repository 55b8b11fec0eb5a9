#pragma once
// Update Coverage Records (CRD response type): when the payer's member record
// disagrees with the Coverage the EHR sent (status, period, plan or group),
// crdex proposes the EHR's Coverage corrected to the payer's record — one
// `update` action of the whole resource, every other element copied through.
// On the clinician hooks (order-select, order-sign) it travels as a system
// action, never a card (CRD resp-70); elsewhere as an `insurance` card whose
// single suggestion carries the update. Not for coverage checks that
// regulation routes through X12 270/271 (resp-69): payers that must use those
// do not publish member records to crdex.

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/cards/card.hpp"
#include "crdex/config/member_records.hpp"
#include "crdex/config/payer_rule_set.hpp"

namespace crdex::cards {

struct CoverageCorrection {
  std::string coverage_reference;  // "Coverage/<id>"
  std::string resource_json;       // the corrected Coverage (minified JSON)
  std::vector<std::string> changes;  // human words, one per corrected element
};

// The EHR's `coverage` corrected to the payer's `record`, or nullopt when they
// already agree.
std::optional<CoverageCorrection> correct_coverage(simdjson::dom::element coverage,
                                                   std::string_view coverage_reference,
                                                   const config::MemberCoverage& record);

// The `update` action carrying the corrected Coverage.
Action coverage_update_action(const CoverageCorrection& correction);

// The `insurance` card with one suggestion holding that action.
Card coverage_update_card(const config::PayerRuleSet& payer, const CoverageCorrection& correction);

}  // namespace crdex::cards
