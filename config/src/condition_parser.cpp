#include "condition_parser.hpp"

#include <cctype>

#include "crdex/fhir/identifiers.hpp"
#include "outcome_parser.hpp"
#include "value_sets.hpp"

namespace crdex::config::detail {

using fhir::JsonNode;
using fhir::JsonShapeError;

namespace {

inline constexpr std::array<std::string_view, 4> kGenders{"male", "female", "other", "unknown"};

void add_entry(const JsonNode& entry, const CodeGroups& groups, bool allow_groups, CodeSelection& out) {
  entry.expect_object();
  if (auto group = entry.find("group")) {
    reject_unknown_keys(entry, {"group"});
    if (!allow_groups) group->fail("cannot refer to another group (groups do not nest)");
    const auto name = group->as_non_empty_string();
    auto found = groups.find(name);
    if (found == groups.end()) group->fail("names \"" + std::string(name) + "\", which codeGroups does not define");
    const auto& g = found->second;
    out.codes.insert(out.codes.end(), g.codes.begin(), g.codes.end());
    out.prefixes.insert(out.prefixes.end(), g.prefixes.begin(), g.prefixes.end());
    out.ranges.insert(out.ranges.end(), g.ranges.begin(), g.ranges.end());
    return;
  }
  if (entry.find("prefix")) {
    if (entry.find("code")) entry.fail("has both code and prefix: use either code or prefix");
    reject_unknown_keys(entry, {"system", "prefix"});
    out.prefixes.push_back({std::string(entry.at("system").as_non_empty_string()),
                            std::string(entry.at("prefix").as_non_empty_string())});
    return;
  }
  if (entry.find("from") || entry.find("to")) {
    if (entry.find("code")) entry.fail("has both code and from/to: use either code or a from/to range");
    reject_unknown_keys(entry, {"system", "from", "to"});
    const auto from = entry.at("from").as_non_empty_string();
    const auto to = entry.at("to").as_non_empty_string();
    if (from.size() != to.size()) entry.fail("\"from\" and \"to\" must have the same length (e.g. 70010 to 76499)");
    if (from > to) entry.fail("\"from\" (" + std::string(from) + ") is after \"to\" (" + std::string(to) + ")");
    out.ranges.push_back({std::string(entry.at("system").as_non_empty_string()), std::string(from), std::string(to)});
    return;
  }
  out.codes.push_back(parse_coding(entry, false));
}

NumericRange parse_range(const JsonNode& node) {
  node.expect_object();
  reject_unknown_keys(node, {"min", "max"});
  NumericRange range;
  if (auto min = node.find("min")) range.min = min->as_number();
  if (auto max = node.find("max")) range.max = max->as_number();
  if (!range.set()) node.fail("needs \"min\", \"max\" or both");
  if (range.min && range.max && *range.min > *range.max) node.fail("has \"min\" greater than \"max\"");
  return range;
}

std::vector<std::string> parse_strings(const JsonNode& node) {
  std::vector<std::string> out;
  for (const auto& item : node.items()) out.emplace_back(item.as_non_empty_string());
  if (out.empty()) node.fail("must not be an empty array (leave it out instead)");
  return out;
}

}  // namespace

CodeSelection parse_code_selection(const JsonNode& list, const CodeGroups& groups) {
  CodeSelection selection;
  for (const auto& entry : list.items()) add_entry(entry, groups, true, selection);
  if (selection.empty()) list.fail("must list at least one code");
  return selection;
}

CodeGroups parse_code_groups(const JsonNode& node, const std::function<void(const JsonShapeError&)>& report) {
  node.expect_object();
  CodeGroups groups;
  const CodeGroups none;
  for (auto [key, value] : node.element().get_object()) {
    const JsonNode list(value, fhir::child_path(node.path(), key));
    try {
      CodeSelection selection;
      for (const auto& entry : list.items()) add_entry(entry, none, false, selection);
      if (selection.empty()) list.fail("must list at least one code");
      groups.emplace(std::string(key), std::move(selection));
    } catch (const JsonShapeError& e) {
      report(e);
    }
  }
  return groups;
}

RuleConditions parse_conditions(const JsonNode& when, const CodeGroups& groups,
                                const std::function<void(const JsonShapeError&)>& report) {
  when.expect_object();
  RuleConditions c;
  auto guarded = [&](std::string_view key, auto&& read) {
    try {
      if (auto node = when.find(key)) read(*node);
    } catch (const JsonShapeError& e) {
      report(e);
    }
  };
  try {
    reject_unknown_keys(when, {"codes", "resourceTypes", "patient", "coverage", "diagnoses", "quantity",
                               "supplyDays", "repeats", "requesters", "performers", "placesOfService",
                               "locationStates", "effective"});
  } catch (const JsonShapeError& e) {
    report(e);
  }
  guarded("codes", [&](const JsonNode& n) { c.codes = parse_code_selection(n, groups); });
  guarded("resourceTypes", [&](const JsonNode& n) {
    for (const auto& type : n.items()) {
      const auto name = type.as_non_empty_string();
      if (!contains(kOrderTypes, name))
        type.fail("is \"" + std::string(name) + "\", not a resource type CRD evaluates");
      c.resource_types.emplace_back(name);
    }
  });
  guarded("patient", [&](const JsonNode& n) {
    n.expect_object();
    reject_unknown_keys(n, {"age", "genders"});
    if (auto age = n.find("age")) c.patient_age = parse_range(*age);
    if (auto genders = n.find("genders")) {
      for (const auto& g : genders->items()) {
        if (!contains(kGenders, g.as_non_empty_string()))
          g.fail("is \"" + std::string(g.as_string()) + "\"; allowed: male, female, other, unknown");
        c.genders.emplace_back(g.as_string());
      }
    }
    if (!c.patient_age.set() && c.genders.empty()) n.fail("needs \"age\" or \"genders\"");
  });
  guarded("coverage", [&](const JsonNode& n) {
    n.expect_object();
    reject_unknown_keys(n, {"classes", "types"});
    if (auto classes = n.find("classes")) {
      for (const auto& item : classes->items()) {
        reject_unknown_keys(item.expect_object(), {"type", "value"});
        c.coverage_classes.push_back(
            {std::string(item.at("type").as_non_empty_string()), std::string(item.at("value").as_non_empty_string())});
      }
    }
    if (auto types = n.find("types"))
      for (const auto& item : types->items()) c.coverage_types.push_back(parse_coding(item.expect_object(), false));
    if (c.coverage_classes.empty() && c.coverage_types.empty()) n.fail("needs \"classes\" or \"types\"");
  });
  guarded("diagnoses", [&](const JsonNode& n) { c.diagnoses = parse_code_selection(n, groups); });
  guarded("quantity", [&](const JsonNode& n) { c.quantity = parse_range(n); });
  guarded("supplyDays", [&](const JsonNode& n) { c.supply_days = parse_range(n); });
  guarded("repeats", [&](const JsonNode& n) { c.repeats = parse_range(n); });
  guarded("requesters", [&](const JsonNode& n) { c.requesters = parse_strings(n); });
  guarded("performers", [&](const JsonNode& n) { c.performers = parse_strings(n); });
  guarded("placesOfService", [&](const JsonNode& n) { c.places_of_service = parse_strings(n); });
  guarded("locationStates", [&](const JsonNode& n) { c.location_states = parse_strings(n); });
  guarded("effective", [&](const JsonNode& n) {
    n.expect_object();
    reject_unknown_keys(n, {"from", "to"});
    for (auto [key, target] : {std::pair{"from", &c.effective_from}, std::pair{"to", &c.effective_to}}) {
      if (auto d = n.find(key)) {
        if (!fhir::is_fhir_date(d->as_string())) d->fail("must be a date, YYYY-MM-DD");
        *target = d->as_string();
      }
    }
    if (c.effective_from.empty() && c.effective_to.empty()) n.fail("needs \"from\", \"to\" or both");
    if (!c.effective_to.empty() && c.effective_from > c.effective_to) n.fail("ends before it starts");
  });
  return c;
}

}  // namespace crdex::config::detail
