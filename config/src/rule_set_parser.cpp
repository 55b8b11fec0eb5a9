#include "crdex/config/rule_set_parser.hpp"

#include <fstream>
#include <initializer_list>
#include <sstream>

#include "crdex/fhir/json_node.hpp"
#include "outcome_parser.hpp"
#include "value_sets.hpp"

namespace crdex::config {

using fhir::JsonNode;
using fhir::JsonShapeError;

namespace {

PayerIdentity parse_identity(const JsonNode& node) {
  detail::reject_unknown_keys(node, {"references", "identifiers", "displays"});
  PayerIdentity identity;
  if (auto refs = node.find("references"))
    for (const auto& r : refs->items()) identity.references.emplace_back(r.as_non_empty_string());
  if (auto ids = node.find("identifiers")) {
    for (const auto& id : ids->items()) {
      detail::reject_unknown_keys(id, {"system", "value"});
      identity.identifiers.push_back(
          {std::string(id.at("system").as_non_empty_string()), std::string(id.at("value").as_non_empty_string())});
    }
  }
  if (auto displays = node.find("displays"))
    for (const auto& d : displays->items()) identity.displays.emplace_back(d.as_non_empty_string());
  if (identity.references.empty() && identity.identifiers.empty() && identity.displays.empty())
    node.fail("must name at least one reference, identifier or display that identifies the payer");
  return identity;
}

Rule parse_rule(const JsonNode& node) {
  detail::reject_unknown_keys(node, {"id", "description", "priority", "when", "then"});
  Rule rule;
  rule.id = node.at("id").as_non_empty_string();
  rule.description = node.string_or_empty("description");
  if (auto priority = node.find("priority")) rule.priority = static_cast<int>(priority->as_int());

  const JsonNode when = node.at("when");
  when.expect_object();
  detail::reject_unknown_keys(when, {"codes", "resourceTypes"});
  for (const auto& code : when.at("codes").items()) rule.codes.push_back(detail::parse_coding(code, false));
  if (rule.codes.empty()) when.at("codes").fail("must list at least one code");
  if (auto types = when.find("resourceTypes")) {
    for (const auto& type : types->items()) {
      const auto name = type.as_non_empty_string();
      if (!detail::contains(detail::kOrderTypes, name))
        type.fail("is \"" + std::string(name) + "\", not a resource type CRD evaluates");
      rule.resource_types.emplace_back(name);
    }
  }
  rule.outcome = detail::parse_outcome(node.at("then"));
  return rule;
}

PayerRuleSet parse_document(const JsonNode& root) {
  root.expect_object();
  detail::reject_unknown_keys(root, {"schema", "payer", "defaultOutcome", "rules"});
  const auto schema = root.at("schema").as_string();
  if (schema != kRuleSchemaV1)
    root.at("schema").fail("is \"" + std::string(schema) + "\"; this crdex reads \"" + kRuleSchemaV1 + "\"");

  PayerRuleSet set;
  const JsonNode payer = root.at("payer");
  payer.expect_object();
  detail::reject_unknown_keys(payer, {"id", "name", "identifiedBy"});
  set.payer_id = payer.at("id").as_non_empty_string();
  set.payer_name = payer.at("name").as_non_empty_string();
  set.identity = parse_identity(payer.at("identifiedBy").expect_object());
  set.default_outcome = detail::parse_outcome(root.at("defaultOutcome"));

  if (auto rules = root.find("rules")) {
    for (const auto& rule_node : rules->items()) {
      Rule rule = parse_rule(rule_node.expect_object());
      for (const auto& earlier : set.rules)
        if (earlier.id == rule.id) rule_node.at("id").fail("\"" + rule.id + "\" is used by an earlier rule");
      set.rules.push_back(std::move(rule));
    }
  }
  return set;
}

}  // namespace

fhir::Result<PayerRuleSet> parse_rule_set(std::string_view json, const std::string& source) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error != simdjson::SUCCESS) {
    return fhir::Error{400, fhir::IssueType::structure,
                       source + ": not valid JSON (" + simdjson::error_message(error) + ")", "$"};
  }
  try {
    PayerRuleSet set = parse_document(JsonNode(root, "$"));
    set.source = source;
    return set;
  } catch (const JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, source + ": " + e.what(), e.path};
  }
}

fhir::Result<PayerRuleSet> load_rule_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fhir::Error{400, fhir::IssueType::not_found, file.string() + ": cannot be read", ""};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_rule_set(text.str(), file.string());
}

}  // namespace crdex::config
