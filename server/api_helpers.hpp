#pragma once
// Small pieces the endpoint modules share: OperationOutcome answers,
// query-string reading, token identifiers ("system|value"), the JSON body
// check and the bearer token.

#include <pistache/http.h>

#include <optional>
#include <string>
#include <string_view>

#include "api_module.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/fhir/submit_attachment.hpp"

namespace crdex::server {

inline ApiAnswer problem_answer(const fhir::Error& error) {
  return {error.http_status, fhir::operation_outcome_json(error), true, {}};
}

inline ApiAnswer problem_answer(int status, fhir::IssueType type, std::string message, std::string expression = {}) {
  return problem_answer(fhir::Error{status, type, std::move(message), std::move(expression)});
}

// 405 with Allow for a path that takes only `allowed` ("GET", "GET, POST").
ApiAnswer not_allowed(const std::string& allowed);

// An OperationOutcome of one issue with severity information.
std::string information_outcome(const std::string& message);

// The query parameter `name`, percent-decoded, or nullopt.
std::optional<std::string> query_parameter(const Pistache::Http::Request& request, const std::string& name);

// "system|value" or "value" (a FHIR token search value).
fhir::IdentifierValue token_identifier(const std::string& token);

// application/json or application/fhir+json (with parameters).
bool has_json_body(const Pistache::Http::Request& request);

// The token of `Authorization: Bearer <token>` (scheme case-insensitive,
// RFC 7235), or "".
std::string bearer_token_of(const Pistache::Http::Request& request);

}  // namespace crdex::server
