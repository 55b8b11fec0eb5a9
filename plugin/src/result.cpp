#include "result.hpp"

#include <simdjson.h>

#include <memory>

#include "abi_guard.hpp"
#include "crdex/fhir/operation_outcome.hpp"

namespace crdex::plugin {

namespace {

// Failures are rare and their bodies small, so a parser per call is fine here.
std::string diagnostics_of(const std::string& operation_outcome) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(operation_outcome).get(root) != simdjson::SUCCESS) return "the engine failed";
  std::string_view text;
  if (root["issue"].at(0)["diagnostics"].get(text) != simdjson::SUCCESS) return "the engine failed";
  return std::string(text);
}

fhir::IssueType issue_type_for(crdex_status status) {
  switch (status) {
    case CRDEX_E_BAD_JSON: return fhir::IssueType::structure;
    case CRDEX_E_UNSUPPORTED: return fhir::IssueType::not_supported;
    case CRDEX_E_NOT_FOUND: return fhir::IssueType::not_found;
    case CRDEX_E_INTERNAL:
    case CRDEX_E_NO_MEMORY: return fhir::IssueType::exception;
    default: return fhir::IssueType::invalid;
  }
}

}  // namespace

crdex_status status_for_http(int http_status) {
  if (http_status >= 200 && http_status < 300) return CRDEX_OK;
  if (http_status == 404) return CRDEX_E_NOT_FOUND;
  if (http_status == 501) return CRDEX_E_UNSUPPORTED;
  if (http_status >= 400 && http_status < 500) return CRDEX_E_BAD_REQUEST;
  return CRDEX_E_INTERNAL;
}

crdex_result* success_result(std::string json) {
  auto result = std::make_unique<crdex_result>();
  result->json = std::move(json);
  return result.release();
}

crdex_result* engine_failure_result(int http_status, std::string operation_outcome) {
  auto result = std::make_unique<crdex_result>();
  result->status = status_for_http(http_status);
  result->http_status = http_status;
  result->message = diagnostics_of(operation_outcome);
  result->operation_outcome = std::move(operation_outcome);
  return result.release();
}

crdex_result* error_result(crdex_status status, const fhir::Error& error) {
  auto result = std::make_unique<crdex_result>();
  result->status = status;
  result->http_status = error.http_status;
  result->message = error.message;
  result->operation_outcome = fhir::operation_outcome_json(error);
  return result.release();
}

crdex_status deliver(crdex_result* result, crdex_result** out) {
  const crdex_status status = result->status;
  if (status != CRDEX_OK) fail(status, result->message);
  if (out)
    *out = result;
  else
    delete result;
  return status;
}

crdex_status refuse(crdex_status status, int http_status, const std::string& message, crdex_result** out) {
  if (out) {
    *out = nullptr;
    *out = error_result(status, {http_status, issue_type_for(status), message, ""});
  }
  return fail(status, message);
}

}  // namespace crdex::plugin
