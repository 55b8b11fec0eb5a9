// The JSON of the consumer endpoints: the request body crdex turns into a
// CDex Task, and the request as crdex follows it.

#include <simdjson.h>

#include "cdex_api.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::server {

namespace fc = fhir::cdex;

namespace {

// A FHIR Reference given in the body: an object with a reference or an identifier.
std::string reference_member(const fhir::JsonNode& body, std::string_view key, bool required) {
  auto node = body.find(key);
  if (!node) {
    if (required) body.at(key);  // throws "<key> is required"
    return {};
  }
  node->expect_object();
  auto identifier = node->find("identifier");
  if (node->string_or_empty("reference").empty() &&
      (!identifier || identifier->expect_object().string_or_empty("value").empty()))
    node->fail("needs a reference or an identifier with a value");
  return fhir::minified(node->element());
}

ConsumerRequestBody read_body(const fhir::JsonNode& body) {
  body.expect_object();
  ConsumerRequestBody out;
  out.source = std::string(body.at("source").as_non_empty_string());
  if (auto task_id = body.find("taskId")) {
    out.follow_task_id = std::string(task_id->as_non_empty_string());
    return out;
  }
  auto& r = out.request;
  int kinds = 0;
  if (auto query = body.find("query")) {
    r.kind = fc::RequestKind::query;
    r.query = std::string(query->as_non_empty_string());
    ++kinds;
  }
  if (auto code = body.find("dataCode")) {
    r.kind = fc::RequestKind::code;
    code->expect_object();
    r.code = {std::string(code->string_or_empty("system")), std::string(code->string_or_empty("code")),
              std::string(code->string_or_empty("text"))};
    if (r.code.code.empty() && r.code.text.empty()) code->fail("needs a code or a text");
    ++kinds;
  }
  if (auto questionnaire = body.find("questionnaire")) {
    r.kind = fc::RequestKind::questionnaire;
    r.questionnaire = std::string(questionnaire->as_non_empty_string());
    ++kinds;
  }
  if (kinds != 1) body.fail("must hold exactly one of query, dataCode and questionnaire");
  r.for_patient = reference_member(body, "for", true);
  r.requester = reference_member(body, "requester", true);
  r.owner = reference_member(body, "owner", true);
  r.reason_reference = reference_member(body, "reasonReference", false);
  r.reason_code_text = std::string(body.string_or_empty("reasonCode"));
  r.work_queue = std::string(body.string_or_empty("workQueue"));
  if (auto purpose = body.find("purposeOfUse")) r.purpose_of_use = fhir::minified(purpose->expect_object().element());
  if (auto signature = body.find("signature")) r.signature = signature->as_bool();
  return out;
}

}  // namespace

fhir::Result<ConsumerRequestBody> read_consumer_request(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (fhir::parse_json(parser, text, root) != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure, "the body is not JSON", ""};
  const fhir::SourceSpelling spelling(parser, text);  // copied members keep their numbers as given
  try {
    return read_body(fhir::JsonNode(root, ""));
  } catch (const fhir::JsonShapeError& e) {
    std::string message = e.what();
    if (!message.empty() && message.front() == ' ') message.erase(0, 1);  // the root's path is ""
    return fhir::Error{400, fhir::IssueType::invalid, message, e.path};
  }
}

std::string consumer_request_json(const cdex::ConsumerRequestRow& row) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "id");
  fhir::write_string(w, row.id);
  fhir::write_key(w, "source");
  fhir::write_string(w, row.source);
  fhir::write_key(w, "taskId");
  fhir::write_string(w, row.remote_id);
  fhir::write_key(w, "status");
  fhir::write_string(w, row.status);
  fhir::write_optional_string(w, "statusReason", row.status_reason);
  fhir::write_key(w, "done");
  w.Bool(row.next_poll_ms == 0);
  fhir::write_key(w, "polls");
  w.Int(row.polls);
  if (row.next_poll_ms > 0) {
    fhir::write_key(w, "nextPollInMs");
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    w.Int64(std::max<int64_t>(0, row.next_poll_ms - now));
  }
  fhir::write_optional_string(w, "problem", row.problem);
  if (!row.task.empty()) {
    fhir::write_key(w, "task");
    w.RawValue(row.task.data(), row.task.size(), rapidjson::kObjectType);
  }
  fhir::write_key(w, "outputs");
  const std::string outputs = row.outputs.empty() ? "[]" : row.outputs;
  w.RawValue(outputs.data(), outputs.size(), rapidjson::kArrayType);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::server
