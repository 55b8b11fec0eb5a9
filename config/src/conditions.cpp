// The non-code conditions of a rule, checked against one order's facts.
#include <algorithm>

#include "crdex/config/evaluation_context.hpp"

namespace crdex::config {

namespace {

bool any_of_codes(const CodeSelection& selection, const std::vector<fhir::Coding>& codes) {
  return std::any_of(codes.begin(), codes.end(),
                     [&](const fhir::Coding& c) { return selection.matches(c.system, c.code); });
}

bool intersects(const std::vector<std::string>& wanted, const std::vector<std::string>& present) {
  for (const auto& p : present)
    if (std::find(wanted.begin(), wanted.end(), p) != wanted.end()) return true;
  return false;
}

// An absent fact fails a set threshold: a rule about "more than 90 days" must
// not apply to an order that does not say how long.
bool within(const NumericRange& range, const std::optional<double>& value) {
  return !range.set() || (value && range.contains(*value));
}

bool coverage_matches(const RuleConditions& when, const EvaluationContext& context) {
  if (!when.coverage_classes.empty()) {
    bool found = false;
    for (const auto& wanted : when.coverage_classes)
      for (const auto& present : context.coverage_classes)
        if (wanted.type == present.type && wanted.value == present.value) found = true;
    if (!found) return false;
  }
  if (!when.coverage_types.empty()) {
    bool found = false;
    for (const auto& wanted : when.coverage_types)
      for (const auto& present : context.coverage_types)
        if (wanted.system == present.system && wanted.code == present.code) found = true;
    if (!found) return false;
  }
  return true;
}

}  // namespace

bool CodeSelection::matches(std::string_view system, std::string_view code) const {
  for (const auto& c : codes)
    if (c.system == system && c.code == code) return true;
  for (const auto& p : prefixes)
    if (p.system == system && code.starts_with(p.prefix)) return true;
  for (const auto& r : ranges)
    if (r.system == system && r.low.size() == code.size() && r.low <= code && code <= r.high) return true;
  return false;
}

bool conditions_hold(const RuleConditions& when, const OrderFacts& order, const EvaluationContext& context) {
  const auto& types = when.resource_types;
  if (!types.empty() && std::find(types.begin(), types.end(), order.resource_type) == types.end()) return false;
  if (!when.effective_from.empty() && (context.today.empty() || context.today < when.effective_from)) return false;
  if (!when.effective_to.empty() && (context.today.empty() || context.today > when.effective_to)) return false;
  if (when.patient_age.set() &&
      !(context.patient_age && when.patient_age.contains(static_cast<double>(*context.patient_age))))
    return false;
  if (!when.genders.empty() &&
      std::find(when.genders.begin(), when.genders.end(), context.patient_gender) == when.genders.end())
    return false;
  if (!coverage_matches(when, context)) return false;
  if (!when.diagnoses.empty() && !any_of_codes(when.diagnoses, order.reason_codes) &&
      !any_of_codes(when.diagnoses, context.condition_codes))
    return false;
  if (!within(when.quantity, order.quantity) || !within(when.supply_days, order.supply_days) ||
      !within(when.repeats, order.repeats))
    return false;
  if (!when.requesters.empty() && !intersects(when.requesters, order.requesters)) return false;
  if (!when.performers.empty() && !intersects(when.performers, order.performers)) return false;
  if (!when.places_of_service.empty() && !intersects(when.places_of_service, order.places_of_service)) return false;
  if (!when.location_states.empty() && !intersects(when.location_states, order.location_states)) return false;
  return true;
}

}  // namespace crdex::config
