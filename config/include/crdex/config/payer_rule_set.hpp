#pragma once
// A payer's published rule set (schema "crdex-rules/1"): who the payer is, how
// to recognise it in a Coverage, what it says when no rule matches, and rules
// that map order codes to coverage outcomes. docs/rules.md is the author's guide.

#include <string>
#include <vector>

#include "crdex/config/coverage_outcome.hpp"
#include "crdex/fhir/coding.hpp"

namespace crdex::config {

inline constexpr const char* kRuleSchemaV1 = "crdex-rules/1";

struct Identifier {
  std::string system;
  std::string value;
};

// How a Coverage.payor entry names this payer. Any one match identifies it.
struct PayerIdentity {
  std::vector<std::string> references;  // "Organization/acme-payer" (absolute URLs match by type/id)
  std::vector<Identifier> identifiers;  // payor.identifier system + value
  std::vector<std::string> displays;    // payor.display, compared exactly
};

struct Rule {
  std::string id;
  std::string description;
  // Higher wins when several rules match one order; equal priorities fall back
  // to the order of declaration (earlier wins).
  int priority = 0;
  std::vector<fhir::Coding> codes;          // match when the order carries any of these
  std::vector<std::string> resource_types;  // empty = every order type
  CoverageOutcome outcome;
};

struct PayerRuleSet {
  std::string source;  // file the set came from, for messages
  std::string payer_id;
  std::string payer_name;  // shown as card source.label (CRD resp-4)
  PayerIdentity identity;
  CoverageOutcome default_outcome;  // applies when no rule matches (CRD hook-16)
  std::vector<Rule> rules;
};

}  // namespace crdex::config
