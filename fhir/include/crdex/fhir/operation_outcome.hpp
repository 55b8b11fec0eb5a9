#pragma once
// Renders an Error as a FHIR R4 OperationOutcome: the body of every 4xx/5xx
// crdex answers (FHIR R4 http.html, CDS Hooks 3.0 error guidance, CRD hook-10).

#include <string>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

// {"resourceType":"OperationOutcome","issue":[{severity, code, diagnostics, expression}]}
std::string operation_outcome_json(const Error& error);

}  // namespace crdex::fhir
