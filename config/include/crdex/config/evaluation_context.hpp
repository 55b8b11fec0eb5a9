#pragma once
// What a rule's conditions are evaluated against: the facts of one order and
// of the call around it (patient, coverage, prefetched conditions, today).
// The hooks layer reads them from the request; the catalog only compares.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/config/payer_rule_set.hpp"
#include "crdex/fhir/coding.hpp"

namespace crdex::config {

struct OrderFacts {
  std::string_view resource_type;
  std::vector<fhir::Coding> codes;         // what the code index is searched with
  std::vector<fhir::Coding> reason_codes;  // order reasonCode codings
  std::optional<double> quantity;
  std::optional<double> supply_days;
  std::optional<double> repeats;
  std::vector<std::string> requesters;  // "Practitioner/id" references and NPIs
  std::vector<std::string> performers;  // the same for performers
  std::vector<std::string> places_of_service;
  std::vector<std::string> location_states;
};

struct EvaluationContext {
  std::optional<int> patient_age;  // whole years on `today`
  std::string patient_gender;
  std::vector<CoverageClassValue> coverage_classes;
  std::vector<fhir::Coding> coverage_types;
  std::vector<fhir::Coding> condition_codes;  // prefetched Condition.code codings
  std::string today;                          // YYYY-MM-DD
  // Set by the caller only when the request asked for a trace and the
  // configuration allows it; collects which rules matched.
  bool trace = false;
};

// Which rules matched one order and which won (debug trace).
struct RuleTrace {
  std::vector<std::string> candidates;  // found through the index, before conditions
  std::vector<std::string> matched;     // every condition held
  std::string winner;                   // empty: the default outcome applied
};

// Whether every condition of `rule` except the codes holds.
bool conditions_hold(const RuleConditions& when, const OrderFacts& order, const EvaluationContext& context);

}  // namespace crdex::config
