#pragma once
// Parsing helpers shared by the rule-set reader: codings, outcomes, cards.
// Each throws fhir::JsonShapeError naming the offending path.

#include <functional>
#include <initializer_list>
#include <string_view>

#include "crdex/config/coverage_outcome.hpp"
#include "crdex/fhir/json_node.hpp"

namespace crdex::config::detail {

// Fails on any member not in `allowed`: a misspelt key in a payer's rule must
// not silently change what the rule means.
void reject_unknown_keys(const fhir::JsonNode& node, std::initializer_list<std::string_view> allowed);

// {"system": ..., "code": ..., "display"?: ...}; `system_optional` lets the CRD
// temp code system be the default (reasons, detail codes).
fhir::Coding parse_coding(const fhir::JsonNode& node, bool system_optional);

// A "then" / "defaultOutcome" object, checked against the CRD value sets and
// the coverage-information invariants. Each field is read on its own, so
// every wrong field goes to `report` (a publisher fixes them in one go); the
// invariants are checked only when the fields themselves are right. Throws
// only when `node` is not an object.
CoverageOutcome parse_outcome(const fhir::JsonNode& node,
                              const std::function<void(const fhir::JsonShapeError&)>& report);

}  // namespace crdex::config::detail
