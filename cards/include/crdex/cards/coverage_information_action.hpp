#pragma once
// The CRD Coverage Information system action: `type: update` of the order
// exactly as the EHR sent it, with one ext-coverage-information extension added
// (CRD resp-29, resp-37). Every other element is copied through unchanged; an
// earlier coverage-information extension for the same Coverage is replaced.

#include "crdex/cards/coverage_decision.hpp"
#include "crdex/cards/order_under_review.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::cards {

inline constexpr std::string_view kCoverageInformationUrl =
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information";

// Writes {"type":"update","description":...,"resource":{...}}.
void write_coverage_information_action(fhir::JsonWriter& w, const OrderUnderReview& order,
                                       const CoverageDecision& decision);

// True when the order already carries coverage information for the decision's
// Coverage that says exactly what the decision says (its date and assertion id
// aside): then no update is sent (CRD resp-35).
bool already_carries(const OrderUnderReview& order, const CoverageDecision& decision);

// Writes the extension object itself (used by the action and by tests).
void write_coverage_information_extension(fhir::JsonWriter& w, const CoverageDecision& decision);

}  // namespace crdex::cards
