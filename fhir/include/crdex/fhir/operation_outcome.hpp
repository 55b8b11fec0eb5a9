#pragma once
// The one OperationOutcome writer: renders an Error (the body of every
// 4xx/5xx crdex answers: FHIR R4 http.html, CDS Hooks 3.0 error guidance, CRD
// hook-10), a list of issues (rule-set problems, one per JSON pointer) or an
// informational outcome (a success reported as an OperationOutcome).

#include <span>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

// Extension on an issue naming the JSON pointer of the problem in the input.
inline constexpr std::string_view kJsonPointerExtension =
    "https://crdex.example.org/fhir/StructureDefinition/json-pointer";

struct OutcomeIssue {
  std::string_view severity = "error";  // fatal | error | warning | information
  std::string_view code = "invalid";    // an IssueType code, or "informational"
  std::string_view diagnostics;         // "" writes none
  std::string_view expression;          // "" writes none
  std::string_view json_pointer;        // "" writes no kJsonPointerExtension
};

// {"resourceType":"OperationOutcome","issue":[{severity, code, diagnostics, expression}]}
std::string operation_outcome_json(const Error& error);
std::string operation_outcome_json(std::span<const OutcomeIssue> issues);
// One issue of severity information, code informational.
std::string information_outcome_json(std::string_view message);

}  // namespace crdex::fhir
