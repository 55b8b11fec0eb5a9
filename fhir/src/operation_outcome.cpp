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

std::string operation_outcome_json(std::span<const OutcomeIssue> issues) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_key(w, "resourceType");
  write_string(w, "OperationOutcome");
  write_key(w, "issue");
  w.StartArray();
  for (const auto& issue : issues) {
    w.StartObject();
    if (!issue.json_pointer.empty()) {
      write_key(w, "extension");
      w.StartArray();
      w.StartObject();
      write_key(w, "url");
      write_string(w, kJsonPointerExtension);
      write_key(w, "valueString");
      write_string(w, issue.json_pointer);
      w.EndObject();
      w.EndArray();
    }
    write_key(w, "severity");
    write_string(w, issue.severity);
    write_key(w, "code");
    write_string(w, issue.code);
    write_optional_string(w, "diagnostics", issue.diagnostics);
    if (!issue.expression.empty()) {
      write_key(w, "expression");
      w.StartArray();
      write_string(w, issue.expression);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string operation_outcome_json(const Error& error) {
  // 5xx means crdex itself failed; everything else is a problem with the input.
  const OutcomeIssue issue{error.http_status >= 500 ? "fatal" : "error", issue_type_code(error.type), error.message,
                           error.expression, {}};
  return operation_outcome_json(std::span<const OutcomeIssue>(&issue, 1));
}

std::string information_outcome_json(std::string_view message) {
  const OutcomeIssue issue{"information", "informational", message, {}, {}};
  return operation_outcome_json(std::span<const OutcomeIssue>(&issue, 1));
}

}  // namespace crdex::fhir
