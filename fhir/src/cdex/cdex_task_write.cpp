// Writing CDex data-request Tasks: the consumer's new Task, and the source's
// view of a Task as it progresses.

#include "crdex/fhir/cdex_task.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::fhir::cdex {

namespace {

void write_raw_json(JsonWriter& w, std::string_view json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void write_coding(JsonWriter& w, std::string_view system, std::string_view code) {
  w.StartObject();
  write_key(w, "system");
  write_string(w, system);
  write_key(w, "code");
  write_string(w, code);
  w.EndObject();
}

// {"coding":[{system, code}]}
void write_concept(JsonWriter& w, std::string_view system, std::string_view code) {
  w.StartObject();
  write_key(w, "coding");
  w.StartArray();
  write_coding(w, system, code);
  w.EndArray();
  w.EndObject();
}

void write_text(JsonWriter& w, std::string_view key, std::string_view text) {
  write_key(w, key);
  w.StartObject();
  write_key(w, "text");
  write_string(w, text);
  w.EndObject();
}

void start_input(JsonWriter& w, std::string_view system, std::string_view code) {
  w.StartObject();
  write_key(w, "type");
  write_concept(w, system, code);
}

void write_request_input(JsonWriter& w, const DataRequest& request) {
  switch (request.kind) {
    case RequestKind::query:
      start_input(w, kHrexTempSystem, "data-query");
      write_key(w, "valueString");
      write_string(w, request.query);
      break;
    case RequestKind::code:
      start_input(w, kHrexTempSystem, "data-code");
      write_key(w, "valueCodeableConcept");
      w.StartObject();
      if (!request.code.code.empty()) {
        write_key(w, "coding");
        w.StartArray();
        write_coding(w, request.code.system, request.code.code);
        w.EndArray();
      }
      write_optional_string(w, "text", request.code.text);
      w.EndObject();
      break;
    case RequestKind::questionnaire:
      start_input(w, kSdcTempSystem, "questionnaire");
      write_key(w, "valueCanonical");
      write_string(w, request.questionnaire);
      break;
  }
  w.EndObject();
}

}  // namespace

std::string build_data_request_task(const DataRequest& request) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_key(w, "resourceType");
  write_string(w, "Task");
  write_key(w, "meta");
  w.StartObject();
  write_key(w, "profile");
  w.StartArray();
  write_string(w, kDataRequestProfile);
  w.EndArray();
  if (!request.work_queue.empty()) {
    write_key(w, "tag");
    w.StartArray();
    write_coding(w, kCdexTempSystem, request.work_queue);
    w.EndArray();
  }
  w.EndObject();
  write_key(w, "status");
  write_string(w, "requested");
  write_key(w, "intent");
  write_string(w, "order");
  write_key(w, "code");
  write_concept(w, kCdexTempSystem, request_kind_code(request.kind));
  write_key(w, "for");
  write_raw_json(w, request.for_patient);
  write_key(w, "authoredOn");
  write_string(w, request.authored_on.empty() ? now_instant() : request.authored_on);
  write_key(w, "requester");
  write_raw_json(w, request.requester);
  write_key(w, "owner");
  write_raw_json(w, request.owner);
  if (!request.reason_code_text.empty()) write_text(w, "reasonCode", request.reason_code_text);
  if (!request.reason_reference.empty()) {
    write_key(w, "reasonReference");
    write_raw_json(w, request.reason_reference);
  }
  write_key(w, "input");
  w.StartArray();
  write_request_input(w, request);
  if (!request.purpose_of_use.empty()) {
    start_input(w, kCdexTempSystem, "purpose-of-use");
    write_key(w, "valueCodeableConcept");
    write_raw_json(w, request.purpose_of_use);
    w.EndObject();
  }
  if (request.signature) {
    start_input(w, kCdexTempSystem, "signature-flag");
    write_key(w, "valueBoolean");
    w.Bool(*request.signature);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string write_task_progress(std::string_view task_json, std::string_view id, const TaskProgress& progress,
                                std::string_view last_modified) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_key(w, "resourceType");
  write_string(w, "Task");
  write_key(w, "id");
  write_string(w, id);
  if (parse_json(parser, task_json, root) == simdjson::SUCCESS && root.is_object()) {
    const SourceSpelling spelling(parser, task_json);  // the stored Task's numbers as written
    for (auto field : root.get_object()) {
      const std::string_view key = field.key;
      if (key == "resourceType" || key == "id" || key == "status" || key == "statusReason" ||
          key == "businessStatus" || key == "output" || key == "contained" || key == "lastModified")
        continue;
      write_key(w, key);
      write_raw(w, field.value);
    }
  }
  if (!progress.contained.empty()) {
    write_key(w, "contained");
    w.StartArray();
    for (const auto& resource : progress.contained) write_raw_json(w, resource);
    w.EndArray();
  }
  write_key(w, "status");
  write_string(w, task_status_code(progress.status));
  if (!progress.status_reason.empty()) write_text(w, "statusReason", progress.status_reason);
  if (!progress.business_status.empty()) write_text(w, "businessStatus", progress.business_status);
  if (!last_modified.empty()) {
    write_key(w, "lastModified");
    write_string(w, last_modified);
  }
  if (!progress.outputs.empty()) {
    write_key(w, "output");
    w.StartArray();
    for (const auto& output : progress.outputs) write_raw_json(w, output);
    w.EndArray();
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::fhir::cdex
