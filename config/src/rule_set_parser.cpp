#include "crdex/config/rule_set_parser.hpp"

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <unordered_set>

#include "crdex/fhir/json_node.hpp"
#include "condition_parser.hpp"
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

// Collects problems: each independent part of the document is read inside
// guard(), so one mistake does not hide the next.
class Problems {
 public:
  template <class F>
  void guard(F&& read) {
    try {
      read();
    } catch (const JsonShapeError& e) {
      add(e);
    }
  }
  void add(const JsonShapeError& e) { list_.push_back({e.path, json_pointer(e.path), e.what()}); }
  auto reporter() {
    return [this](const JsonShapeError& e) { add(e); };
  }
  std::vector<RuleProblem> take() { return std::move(list_); }

 private:
  std::vector<RuleProblem> list_;
};

Rule parse_rule(const JsonNode& node, const detail::CodeGroups& groups, Problems& problems) {
  Rule rule;
  problems.guard([&] { detail::reject_unknown_keys(node, {"id", "description", "priority", "when", "then"}); });
  problems.guard([&] { rule.id = node.at("id").as_non_empty_string(); });
  problems.guard([&] { rule.description = node.string_or_empty("description"); });
  problems.guard([&] {
    if (auto priority = node.find("priority")) rule.priority = static_cast<int>(priority->as_int());
  });
  problems.guard([&] { rule.when = detail::parse_conditions(node.at("when"), groups, problems.reporter()); });
  problems.guard([&] { rule.outcome = detail::parse_outcome(node.at("then"), problems.reporter()); });
  return rule;
}

PayerRuleSet parse_document(const JsonNode& root, Problems& problems) {
  root.expect_object();
  PayerRuleSet set;
  problems.guard([&] {
    detail::reject_unknown_keys(root, {"schema", "payer", "codeGroups", "defaultOutcome", "rules"});
  });
  problems.guard([&] {
    const auto schema = root.at("schema").as_string();
    if (schema != kRuleSchemaV1)
      root.at("schema").fail("is \"" + std::string(schema) + "\"; this crdex reads \"" + kRuleSchemaV1 + "\"");
  });
  problems.guard([&] {
    const JsonNode payer = root.at("payer");
    payer.expect_object();
    problems.guard([&] { detail::reject_unknown_keys(payer, {"id", "name", "identifiedBy"}); });
    problems.guard([&] { set.payer_id = payer.at("id").as_non_empty_string(); });
    problems.guard([&] { set.payer_name = payer.at("name").as_non_empty_string(); });
    problems.guard([&] { set.identity = parse_identity(payer.at("identifiedBy").expect_object()); });
  });
  problems.guard([&] { set.default_outcome = detail::parse_outcome(root.at("defaultOutcome"), problems.reporter()); });

  detail::CodeGroups groups;
  problems.guard([&] {
    if (auto node = root.find("codeGroups")) groups = detail::parse_code_groups(*node, problems.reporter());
  });
  problems.guard([&] {
    auto rules = root.find("rules");
    if (!rules) return;
    std::unordered_set<std::string> ids;
    for (const auto& rule_node : rules->items()) {
      problems.guard([&] {
        Rule rule = parse_rule(rule_node.expect_object(), groups, problems);
        if (!rule.id.empty() && !ids.insert(rule.id).second)
          rule_node.at("id").fail("\"" + rule.id + "\" is used by an earlier rule");
        set.rules.push_back(std::move(rule));
      });
    }
  });
  return set;
}

}  // namespace

RuleSetCheck check_rule_set(std::string_view json, const std::string& source) {
  RuleSetCheck check;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error != simdjson::SUCCESS) {
    check.problems.push_back({"$", "", std::string("not valid JSON (") + simdjson::error_message(error) + ")"});
    return check;
  }
  Problems problems;
  PayerRuleSet set;
  problems.guard([&] { set = parse_document(JsonNode(root, "$"), problems); });
  check.problems = problems.take();
  if (check.problems.empty()) {
    set.source = source;
    check.set = std::move(set);
  }
  return check;
}

fhir::Result<PayerRuleSet> parse_rule_set(std::string_view json, const std::string& source) {
  auto check = check_rule_set(json, source);
  if (check.ok()) return std::move(*check.set);
  const auto& first = check.problems.front();
  const auto type = first.path == "$" && first.pointer.empty() ? fhir::IssueType::structure : fhir::IssueType::invalid;
  return fhir::Error{400, type, source + ": " + first.message, first.path};
}

std::string json_pointer(std::string_view path) {
  if (path.starts_with("$")) path.remove_prefix(1);
  std::string pointer;
  for (char c : path) {
    if (c == '.' || c == '[') {
      pointer.push_back('/');
    } else if (c == ']') {
    } else if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer.push_back(c);
    }
  }
  return pointer;
}

fhir::Result<PayerRuleSet> load_rule_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fhir::Error{400, fhir::IssueType::not_found, file.string() + ": cannot be read", ""};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_rule_set(text.str(), file.string());
}

}  // namespace crdex::config
