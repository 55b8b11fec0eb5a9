// Reading a CDex data-request Task and checking it against the profile.

#include <array>

#include "crdex/fhir/cdex_task.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/json_node.hpp"

namespace crdex::fhir::cdex {

namespace {

// A profile violation: 422 with the element's path.
[[noreturn]] void violation(const std::string& path, const std::string& message) {
  throw JsonShapeError(path, message);
}

std::string minified_json(const JsonNode& node) { return minified(node.element()); }

// The first coding of a CodeableConcept whose system is `system`, or nullopt.
std::optional<std::string_view> code_in(const JsonNode& codeable, std::string_view system) {
  auto codings = codeable.expect_object().find("coding");
  if (!codings) return std::nullopt;
  for (const auto& coding : codings->items()) {
    if (coding.expect_object().string_or_empty("system") == system) return coding.string_or_empty("code");
  }
  return std::nullopt;
}

// A Reference that says whom it means: a literal reference or an identifier.
std::string actor_reference(const JsonNode& task, std::string_view element) {
  auto node = task.find(element);
  if (!node) violation(child_path(task.path(), element), child_path(task.path(), element) + " is required");
  node->expect_object();
  const bool has_reference = !node->string_or_empty("reference").empty();
  auto identifier = node->find("identifier");
  const bool has_identifier = identifier && !identifier->expect_object().string_or_empty("value").empty();
  if (!has_reference && !has_identifier)
    node->fail("needs a reference or an identifier with a value");
  return minified_json(*node);
}

// Which request input an input's type names, if any.
enum class InputKind { query, code, questionnaire, purpose_of_use, signature, other };

InputKind input_kind(const JsonNode& type) {
  if (auto code = code_in(type, kHrexTempSystem)) {
    if (*code == "data-query") return InputKind::query;
    if (*code == "data-code") return InputKind::code;
  }
  if (auto code = code_in(type, kSdcTempSystem); code && *code == "questionnaire") return InputKind::questionnaire;
  if (auto code = code_in(type, kCdexTempSystem)) {
    if (*code == "purpose-of-use") return InputKind::purpose_of_use;
    if (*code == "signature-flag") return InputKind::signature;
  }
  return InputKind::other;
}

const char* input_name(RequestKind kind) {
  switch (kind) {
    case RequestKind::query: return "data-query";
    case RequestKind::code: return "data-code";
    case RequestKind::questionnaire: return "questionnaire";
  }
  return "data-query";
}

void read_inputs(const JsonNode& task, DataRequestTask& out) {
  auto inputs = task.find("input");
  if (!inputs) violation("Task.input", "Task.input must hold exactly one data-query, data-code or questionnaire input (cdex-9)");
  int requests = 0;
  std::string first_request_path;
  for (const auto& input : inputs->items()) {
    input.expect_object();
    switch (input_kind(input.at("type"))) {
      case InputKind::query:
        if (out.request.kind != RequestKind::query)
          violation(input.path(), input.path() + " is a data-query input, but Task.code is " +
                                      request_kind_code(out.request.kind) + " (cdex-7/8/12)");
        out.request.query = std::string(input.at("valueString").as_non_empty_string());
        break;
      case InputKind::code: {
        if (out.request.kind != RequestKind::code)
          violation(input.path(), input.path() + " is a data-code input, but Task.code is " +
                                      request_kind_code(out.request.kind) + " (cdex-7/8/12)");
        const auto value = input.at("valueCodeableConcept").expect_object();
        out.request.code.text = std::string(value.string_or_empty("text"));
        if (auto codings = value.find("coding"); codings && !codings->items().empty()) {
          const auto coding = codings->items().front().expect_object();
          out.request.code.system = std::string(coding.string_or_empty("system"));
          out.request.code.code = std::string(coding.string_or_empty("code"));
        }
        if (out.request.code.code.empty() && out.request.code.text.empty())
          value.fail("needs a coding or a text");
        break;
      }
      case InputKind::questionnaire:
        if (out.request.kind != RequestKind::questionnaire)
          violation(input.path(), input.path() + " is a questionnaire input, but Task.code is " +
                                      request_kind_code(out.request.kind) + " (cdex-7/8/12)");
        out.request.questionnaire = std::string(input.at("valueCanonical").as_non_empty_string());
        break;
      case InputKind::purpose_of_use:
        out.request.purpose_of_use = minified_json(input.at("valueCodeableConcept").expect_object());
        continue;
      case InputKind::signature:
        out.request.signature = input.at("valueBoolean").as_bool();
        continue;
      case InputKind::other:
        continue;
    }
    if (++requests == 1) first_request_path = input.path();
    if (requests > 1)
      violation(input.path(), input.path() + ": a Task carries exactly one data-query, data-code or questionnaire input, "
                                             "the first is " + first_request_path + " (cdex-9)");
  }
  if (requests == 0)
    violation("Task.input", "Task.input must hold one " + std::string(input_name(out.request.kind)) +
                                " input for code " + request_kind_code(out.request.kind) + " (cdex-9)");
}

void read_progress(const JsonNode& task, DataRequestTask& out) {
  if (auto reason = task.find("statusReason")) out.progress.status_reason = std::string(reason->string_or_empty("text"));
  if (auto business = task.find("businessStatus"))
    out.progress.business_status = std::string(business->string_or_empty("text"));
  if (auto outputs = task.find("output"))
    for (const auto& output : outputs->items()) out.progress.outputs.push_back(minified_json(output.expect_object()));
  if (auto contained = task.find("contained"))
    for (const auto& resource : contained->items()) out.progress.contained.push_back(minified_json(resource.expect_object()));
  const auto status = out.progress.status;
  if ((status == TaskStatus::rejected || status == TaskStatus::failed) && out.progress.status_reason.empty())
    violation("Task.statusReason", std::string("Task.statusReason.text is required when the status is ") +
                                       task_status_code(status) + " (tdr-2)");
  if (status == TaskStatus::completed && out.progress.outputs.empty())
    violation("Task.output", "Task.output is required when the status is completed (tdr-3)");
}

DataRequestTask read_task(const JsonNode& task) {
  task.expect_object();
  DataRequestTask out;
  if (task.at("resourceType").as_string() != "Task") violation("Task.resourceType", "the resource must be a Task");
  out.id = std::string(task.string_or_empty("id"));

  const auto status_node = task.at("status");
  const auto status = parse_task_status(status_node.as_string());
  if (!status)
    status_node.fail("must be one of requested, accepted, rejected, in-progress, failed, completed, on-hold "
                     "(HRex Task status; not \"" + std::string(status_node.as_string()) + "\")");
  out.progress.status = *status;

  if (task.at("intent").as_string() != "order") violation("Task.intent", "Task.intent must be order");
  const auto code_node = task.at("code");
  const auto code = code_in(code_node, kCdexTempSystem);
  const auto kind = code ? parse_request_kind(*code) : std::nullopt;
  if (!kind)
    violation("Task.code", "Task.code must be data-request-query, data-request-code or data-request-questionnaire "
                           "from " + std::string(kCdexTempSystem));
  out.request.kind = *kind;
  if (task.find("focus")) violation("Task.focus", "Task.focus is not allowed in a data request (0..0)");

  out.request.for_patient = actor_reference(task, "for");
  out.request.requester = actor_reference(task, "requester");
  out.request.owner = actor_reference(task, "owner");
  out.request.authored_on = std::string(task.at("authoredOn").as_non_empty_string());
  if (auto reason = task.find("reasonCode")) out.request.reason_code_text = std::string(reason->string_or_empty("text"));
  if (auto reason = task.find("reasonReference")) out.request.reason_reference = minified_json(reason->expect_object());
  if (auto meta = task.find("meta"); meta)
    if (auto tags = meta->find("tag"))
      for (const auto& tag : tags->items())
        if (tag.expect_object().string_or_empty("system") == kCdexTempSystem)
          out.request.work_queue = std::string(tag.string_or_empty("code"));

  read_inputs(task, out);
  read_progress(task, out);
  return out;
}

}  // namespace

const char* request_kind_code(RequestKind kind) {
  switch (kind) {
    case RequestKind::query: return "data-request-query";
    case RequestKind::code: return "data-request-code";
    case RequestKind::questionnaire: return "data-request-questionnaire";
  }
  return "data-request-query";
}

std::optional<RequestKind> parse_request_kind(std::string_view code) {
  for (auto kind : {RequestKind::query, RequestKind::code, RequestKind::questionnaire})
    if (code == request_kind_code(kind)) return kind;
  return std::nullopt;
}

Result<DataRequestTask> parse_data_request_task(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parse_json(parser, json, root) != simdjson::SUCCESS)
    return Error{400, IssueType::structure, "the body is not JSON", ""};
  const SourceSpelling spelling(parser, json);  // copied parts keep their numbers
  if (!root.is_object()) return Error{400, IssueType::structure, "the body must be a Task resource", ""};
  try {
    return read_task(JsonNode(root, "Task"));
  } catch (const JsonShapeError& e) {
    return Error{422, IssueType::invalid, e.what(), e.path};
  }
}

}  // namespace crdex::fhir::cdex
