#pragma once
// Reads a rule's `when` object and the rule set's named code groups.
// Throws fhir::JsonShapeError naming the offending path; the caller collects.

#include <functional>
#include <map>
#include <string>

#include "crdex/config/payer_rule_set.hpp"
#include "crdex/fhir/json_node.hpp"

namespace crdex::config::detail {

using CodeGroups = std::map<std::string, CodeSelection, std::less<>>;

// `codeGroups`: {"name": [code entries]}; groups may not refer to groups.
// Each group's problems go to `report` so one bad group does not hide others.
CodeGroups parse_code_groups(const fhir::JsonNode& node,
                             const std::function<void(const fhir::JsonShapeError&)>& report);

// A list of code entries: {"system","code"}, {"system","prefix"},
// {"system","from","to"} or {"group"}.
CodeSelection parse_code_selection(const fhir::JsonNode& list, const CodeGroups& groups);

// Every condition of `when`; each condition's problem goes to `report`.
RuleConditions parse_conditions(const fhir::JsonNode& when, const CodeGroups& groups,
                                const std::function<void(const fhir::JsonShapeError&)>& report);

}  // namespace crdex::config::detail
