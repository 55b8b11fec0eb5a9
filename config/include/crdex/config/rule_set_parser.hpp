#pragma once
// Reads a "crdex-rules/1" document into a PayerRuleSet, checking every field
// against the schema and the CRD coverage-information value sets and
// invariants (crd-ci-q1..q9). Errors name the source, the JSON path
// ("$.rules[2].then.pa-needed") and what is wrong.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/config/payer_rule_set.hpp"
#include "crdex/fhir/result.hpp"

namespace crdex::config {

// One thing wrong with a rule set.
struct RuleProblem {
  std::string path;     // "$.rules[2].then.pa-needed"
  std::string pointer;  // the same place as a JSON pointer (RFC 6901): "/rules/2/then/pa-needed"
  std::string message;  // "$.rules[2].then.pa-needed is \"maybe\"; allowed: ..."
};

// Every problem of a document at once (a publisher fixes them in one go);
// `set` is present only when there are none.
struct RuleSetCheck {
  std::optional<PayerRuleSet> set;
  std::vector<RuleProblem> problems;
  // What is allowed but probably a mistake (a code system that is not an
  // absolute URI, or whose scheme looks misspelled): never makes it invalid.
  std::vector<RuleProblem> warnings;
  bool ok() const { return problems.empty(); }
};

RuleSetCheck check_rule_set(std::string_view json, const std::string& source);

// The first problem only, as an Error (start-up and file loading).
fhir::Result<PayerRuleSet> parse_rule_set(std::string_view json, const std::string& source);

fhir::Result<PayerRuleSet> load_rule_file(const std::filesystem::path& file);

// "$.rules[2].then" -> "/rules/2/then".
std::string json_pointer(std::string_view path);

}  // namespace crdex::config
