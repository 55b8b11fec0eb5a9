#include "crdex/fhir/operation_outcome.hpp"

#include "crdex/fhir/json_writer.hpp"

namespace crdex::fhir {

const char* issue_type_code(IssueType type) {
  switch (type) {
    case IssueType::invalid: return "invalid";
    case IssueType::structure: return "structure";
    case IssueType::required: return "required";
    case IssueType::value: return "value";
    case IssueType::invariant: return "invariant";
    case IssueType::security: return "security";
    case IssueType::not_found: return "not-found";
    case IssueType::not_supported: return "not-supported";
    case IssueType::too_costly: return "too-costly";
    case IssueType::business_rule: return "business-rule";
    case IssueType::processing: return "processing";
    case IssueType::exception: return "exception";
    case IssueType::timeout: return "timeout";
    case IssueType::transient: return "transient";
  }
  return "exception";
}

std::string operation_outcome_json(const Error& error) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_key(w, "resourceType");
  write_string(w, "OperationOutcome");
  write_key(w, "issue");
  w.StartArray();
  w.StartObject();
  write_key(w, "severity");
  // 5xx means crdex itself failed; everything else is a problem with the input.
  write_string(w, error.http_status >= 500 ? "fatal" : "error");
  write_key(w, "code");
  write_string(w, issue_type_code(error.type));
  write_optional_string(w, "diagnostics", error.message);
  if (!error.expression.empty()) {
    write_key(w, "expression");
    w.StartArray();
    write_string(w, error.expression);
    w.EndArray();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::fhir
