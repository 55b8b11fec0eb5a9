#pragma once
// Small pieces the endpoint modules share: OperationOutcome answers,
// query-string reading, token identifiers ("system|value") and the JSON body
// check (the bearer token: bearer_token.hpp).

#include <pistache/http.h>

#include <optional>
#include <string>
#include <string_view>

#include "api_answer.hpp"
#include "bearer_token.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/fhir/submit_attachment.hpp"

namespace crdex::server {

inline ApiAnswer problem_answer(const fhir::Error& error) {
  return {error.http_status, fhir::operation_outcome_json(error), true, {}};
}

inline ApiAnswer problem_answer(int status, fhir::IssueType type, std::string message, std::string expression = {}) {
  return problem_answer(fhir::Error{status, type, std::move(message), std::move(expression)});
}

// The query parameter `name`, percent-decoded, or nullopt.
std::optional<std::string> query_parameter(const Pistache::Http::Request& request, const std::string& name);

// "system|value" or "value" (a FHIR token search value).
fhir::IdentifierValue token_identifier(const std::string& token);

// application/json or application/fhir+json (with parameters).
bool has_json_body(const Pistache::Http::Request& request);

}  // namespace crdex::server
