#pragma once
// Reads a "crdex-rules/1" document into a PayerRuleSet, checking every field
// against the schema and the CRD coverage-information value sets and
// invariants (crd-ci-q1..q9). Errors name the source, the JSON path
// ("$.rules[2].then.pa-needed") and what is wrong.

#include <filesystem>
#include <string>
#include <string_view>

#include "crdex/config/payer_rule_set.hpp"
#include "crdex/fhir/result.hpp"

namespace crdex::config {

fhir::Result<PayerRuleSet> parse_rule_set(std::string_view json, const std::string& source);

fhir::Result<PayerRuleSet> load_rule_file(const std::filesystem::path& file);

}  // namespace crdex::config
