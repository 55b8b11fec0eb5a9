#include "engine_config.hpp"

#include <simdjson.h>

#include <string>
#include <vector>

#include "crdex/config/rule_set_parser.hpp"
#include "crdex/fhir/json_numbers.hpp"

namespace crdex::plugin {

namespace {

fhir::Error shape_error(std::string message, std::string expression) {
  return {400, fhir::IssueType::invalid, std::move(message), std::move(expression)};
}

fhir::Result<std::shared_ptr<const config::RuleCatalog>> inline_rules(simdjson::dom::element value) {
  simdjson::dom::array documents;
  if (value.get_array().get(documents) != simdjson::SUCCESS)
    return shape_error("\"rule_sets\" must be an array of crdex-rules/1 documents", "rule_sets");
  std::vector<config::PayerRuleSet> sets;
  size_t index = 0;
  for (simdjson::dom::element document : documents) {
    const std::string source = "rule_sets[" + std::to_string(index++) + "]";
    // The rule parser reads text and names its errors after `source`.
    auto set = config::parse_rule_set(fhir::minified(document), source);
    if (!set) return set.error();
    sets.push_back(std::move(set).value());
  }
  return config::RuleCatalog::build(std::move(sets));
}

// An integer within [low, high], or an error naming the key.
fhir::Result<int64_t> bounded_integer(simdjson::dom::element value, std::string_view key, int64_t low, int64_t high) {
  int64_t number = 0;
  if (value.get_int64().get(number) != simdjson::SUCCESS || number < low || number > high)
    return shape_error("\"" + std::string(key) + "\" must be an integer from " + std::to_string(low) + " to " +
                           std::to_string(high),
                       std::string(key));
  return number;
}

}  // namespace

fhir::Result<EngineConfig> load_engine_config(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = fhir::parse_json(parser, json, root); error != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure,
                       std::string("the configuration is not valid JSON: ") + simdjson::error_message(error), ""};
  const fhir::SourceSpelling spelling(parser, json);  // inline rule sets keep the payer's numbers
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS)
    return shape_error("the configuration must be a JSON object", "");

  EngineConfig config;
  std::optional<simdjson::dom::element> rules_dir, rule_sets;
  for (auto field : object) {
    if (field.key == "rules_dir") {
      rules_dir = field.value;
    } else if (field.key == "rule_sets") {
      rule_sets = field.value;
    } else if (field.key == "prefetch_timeout_ms") {
      auto ms = bounded_integer(field.value, field.key, 1, 60000);
      if (!ms) return ms.error();
      config.fill.budget = std::chrono::milliseconds(*ms);
    } else if (field.key == "prefetch_max_pages") {
      auto pages = bounded_integer(field.value, field.key, 1, 100);
      if (!pages) return pages.error();
      config.fill.max_pages = static_cast<int>(*pages);
    } else if (field.key == "fhir_allow_http") {
      if (field.value.get_bool().get(config.fill.allow_plain_http) != simdjson::SUCCESS)
        return shape_error("\"fhir_allow_http\" must be true or false", "fhir_allow_http");
    } else {
      return shape_error("unknown configuration key \"" + std::string(field.key) +
                             "\" (known: \"rules_dir\", \"rule_sets\", \"prefetch_timeout_ms\", "
                             "\"prefetch_max_pages\", \"fhir_allow_http\")",
                         std::string(field.key));
    }
  }
  if (rules_dir.has_value() == rule_sets.has_value())
    return shape_error("the configuration needs exactly one of \"rules_dir\" and \"rule_sets\"", "");

  if (rule_sets) {
    auto rules = inline_rules(*rule_sets);
    if (!rules) return rules.error();
    config.rules = std::move(rules).value();
    return config;
  }
  std::string_view dir;
  if (rules_dir->get_string().get(dir) != simdjson::SUCCESS || dir.empty())
    return shape_error("\"rules_dir\" must be a non-empty string (a directory path)", "rules_dir");
  config.rules_dir = std::filesystem::path(dir);
  auto rules = config::RuleCatalog::load_directory(*config.rules_dir);
  if (!rules) return rules.error();
  config.rules = std::move(rules).value();
  return config;
}

bool parses_as_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  return parser.parse(json.data(), json.size()).get(root) == simdjson::SUCCESS;
}

}  // namespace crdex::plugin
