// cdex-task-attachment-request: builder and reader.

#include "crdex/fhir/attachment_request.hpp"
#include "crdex/fhir/json_numbers.hpp"

#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "identifier_json.hpp"

namespace crdex::fhir {

namespace {

constexpr const char* kPasTemp = "http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes";
constexpr const char* kCdexTemp = "http://hl7.org/fhir/us/davinci-cdex/CodeSystem/cdex-temp";

void write_coding(JsonWriter& w, std::string_view system, std::string_view code) {
  w.StartObject();
  write_key(w, "coding");
  w.StartArray();
  w.StartObject();
  write_key(w, "system");
  write_string(w, system);
  write_key(w, "code");
  write_string(w, code);
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

void write_input_type(JsonWriter& w, std::string_view system, std::string_view code) {
  w.StartObject();
  write_key(w, "type");
  write_coding(w, system, code);
}

// The first coding code of a CodeableConcept node ("" when none).
std::string first_code(const JsonNode& codeable, std::string_view system = {}) {
  const auto codings = codeable.find("coding");
  if (!codings || !codings->is_array()) return {};
  for (const auto& c : codings->items())
    if (system.empty() || c.string_or_empty("system") == system) return std::string(c.string_or_empty("code"));
  return {};
}

IdentifierValue identifier_of(const JsonNode& node) {
  return {std::string(node.string_or_empty("system")), std::string(node.string_or_empty("value"))};
}

}  // namespace

std::string attachment_request_task_json(const AttachmentRequest& r, const std::string& authored_on) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_key(w, "resourceType");
  write_string(w, "Task");
  write_key(w, "meta");
  w.StartObject();
  write_key(w, "profile");
  w.StartArray();
  write_string(w, "http://hl7.org/fhir/us/davinci-cdex/StructureDefinition/cdex-task-attachment-request");
  w.EndArray();
  w.EndObject();
  write_key(w, "contained");
  w.StartArray();
  if (!r.patient_json.empty()) {
    w.RawValue(r.patient_json.data(), r.patient_json.size(), rapidjson::kObjectType);
  } else {
    w.StartObject();
    write_key(w, "resourceType");
    write_string(w, "Patient");
    write_key(w, "id");
    write_string(w, "patient");
    write_key(w, "identifier");
    w.StartArray();
    w.StartObject();
    write_key(w, "type");
    write_coding(w, "http://terminology.hl7.org/CodeSystem/v2-0203", "MB");
    write_optional_string(w, "system", r.member_id.system);
    write_key(w, "value");
    write_string(w, r.member_id.value);
    w.EndObject();
    w.EndArray();
    w.EndObject();
  }
  w.StartObject();
  write_key(w, "resourceType");
  write_string(w, "PractitionerRole");
  write_key(w, "id");
  write_string(w, "practitionerrole");
  if (!r.provider_id.value.empty()) {
    write_key(w, "practitioner");
    w.StartObject();
    write_key(w, "identifier");
    detail::write_identifier(w, r.provider_id);
    w.EndObject();
  }
  if (!r.organization_id.value.empty()) {
    write_key(w, "organization");
    w.StartObject();
    write_key(w, "identifier");
    detail::write_identifier(w, r.organization_id);
    w.EndObject();
  }
  w.EndObject();
  w.EndArray();
  write_key(w, "identifier");
  w.StartArray();
  w.StartObject();
  write_key(w, "type");
  write_coding(w, kCdexTemp, "tracking-id");
  write_optional_string(w, "system", r.tracking_id.system);
  write_key(w, "value");
  write_string(w, r.tracking_id.value);
  w.EndObject();
  w.EndArray();
  write_key(w, "status");
  write_string(w, "requested");
  write_key(w, "intent");
  write_string(w, "order");
  write_key(w, "code");
  write_coding(w, kPasTemp, r.code);
  write_key(w, "for");
  w.StartObject();
  write_key(w, "reference");
  write_string(w, "#patient");
  w.EndObject();
  write_key(w, "authoredOn");
  write_string(w, authored_on);
  write_key(w, "requester");
  w.StartObject();
  write_key(w, "identifier");
  detail::write_identifier(w, r.payer_id);
  w.EndObject();
  write_key(w, "owner");
  w.StartObject();
  write_key(w, "reference");
  write_string(w, "#practitionerrole");
  w.EndObject();
  write_key(w, "reasonCode");
  write_coding(w, "http://hl7.org/fhir/claim-use", r.attach_to);
  write_key(w, "reasonReference");
  w.StartObject();
  write_key(w, "identifier");
  detail::write_identifier(w, r.claim_id);
  w.EndObject();
  if (!r.due_date.empty()) {
    write_key(w, "restriction");
    w.StartObject();
    write_key(w, "period");
    w.StartObject();
    write_key(w, "end");
    write_string(w, r.due_date);
    w.EndObject();
    w.EndObject();
  }
  write_key(w, "input");
  w.StartArray();
  for (const auto& code : r.loinc_codes) {
    write_input_type(w, kPasTemp, "attachments-needed");
    write_key(w, "valueCodeableConcept");
    write_coding(w, "http://loinc.org", code);
    w.EndObject();
  }
  write_input_type(w, kPasTemp, "payer-url");
  write_key(w, "valueUrl");
  write_string(w, r.payer_url);
  w.EndObject();
  if (!r.service_date.empty()) {
    write_input_type(w, kCdexTemp, "service-date");
    write_key(w, "valueDate");
    write_string(w, r.service_date);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

Result<AttachmentRequest> parse_attachment_request(std::string_view task_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parse_json(parser, task_json, root) != simdjson::SUCCESS)
    return Error::invalid("the Task is not JSON", "Task");
  const SourceSpelling spelling(parser, task_json);  // copied parts keep their numbers
  try {
    const JsonNode task(root, "Task");
    task.expect_object();
    if (task.string_or_empty("resourceType") != "Task") return Error::invalid("not a Task", "Task.resourceType");
    AttachmentRequest out;
    out.code = first_code(task.at("code"), kPasTemp);
    if (out.code != "attachment-request-code" && out.code != "attachment-request-questionnaire")
      return Error::invalid("Task.code must be PASTempCodes attachment-request-code or attachment-request-questionnaire",
                     "Task.code");
    if (const auto ids = task.find("identifier"))
      for (const auto& id : ids->items())
        if (const auto type = id.find("type"); type && first_code(*type) == "tracking-id") out.tracking_id = identifier_of(id);
    if (out.tracking_id.value.empty()) return Error::invalid("the Task has no tracking-id identifier", "Task.identifier");

    // Contained #patient and #practitionerrole carry member and provider ids.
    if (const auto contained = task.find("contained")) {
      for (const auto& r : contained->items()) {
        const auto type = r.string_or_empty("resourceType");
        if (type == "Patient" && r.string_or_empty("id") == "patient") {
          out.patient_json = minified(r.element());
          if (const auto ids = r.find("identifier"))
            for (const auto& id : ids->items()) {
              const auto id_type = id.find("type");
              if (out.member_id.value.empty() || (id_type && first_code(*id_type) == "MB")) out.member_id = identifier_of(id);
            }
        } else if (type == "PractitionerRole" && r.string_or_empty("id") == "practitionerrole") {
          if (const auto p = r.find("practitioner"); p && p->find("identifier")) out.provider_id = identifier_of(p->at("identifier"));
          if (const auto o = r.find("organization"); o && o->find("identifier"))
            out.organization_id = identifier_of(o->at("identifier"));
        }
      }
    }
    if (out.member_id.value.empty()) return Error::invalid("the contained #patient has no member identifier", "Task.contained");
    if (const auto requester = task.find("requester"); requester && requester->find("identifier"))
      out.payer_id = identifier_of(requester->at("identifier"));

    // R4 Task.reasonCode is one CodeableConcept.
    if (const auto reason = task.find("reasonCode")) out.attach_to = first_code(*reason);
    if (out.attach_to != "claim" && out.attach_to != "preauthorization")
      return Error::invalid("Task.reasonCode must say claim or preauthorization", "Task.reasonCode");
    if (const auto reason = task.find("reasonReference"); reason && reason->find("identifier"))
      out.claim_id = identifier_of(reason->at("identifier"));
    if (const auto restriction = task.find("restriction"))
      if (const auto period = restriction->find("period")) out.due_date = std::string(period->string_or_empty("end"));

    if (const auto inputs = task.find("input")) {
      for (const auto& input : inputs->items()) {
        const auto type = first_code(input.at("type"));
        if (type == "payer-url") out.payer_url = std::string(input.at("valueUrl").as_non_empty_string());
        else if (type == "service-date") out.service_date = std::string(input.at("valueDate").as_non_empty_string());
        else if (type == "attachments-needed")
          if (const auto codeable = input.find("valueCodeableConcept")) {
            auto code = first_code(*codeable, "http://loinc.org");
            if (!code.empty()) out.loinc_codes.push_back(std::move(code));
          }
      }
    }
    if (out.payer_url.empty()) return Error::invalid("the Task has no PayerUrl input", "Task.input");
    return out;
  } catch (const JsonShapeError& e) {
    return Error::invalid(e.what(), e.path);
  }
}

SubmitAttachment answer_attachment_request(const AttachmentRequest& request, const std::vector<std::string>& contents) {
  SubmitAttachment out;
  out.tracking_id = request.tracking_id;
  out.attach_to = request.attach_to;
  if (!request.payer_id.value.empty()) out.payer_id = request.payer_id;
  if (!request.organization_id.value.empty()) out.organization_id = request.organization_id;
  if (!request.provider_id.value.empty()) out.provider_id = request.provider_id;
  out.member_id = request.member_id;
  out.service_date = request.service_date;
  for (size_t i = 0; i < contents.size(); ++i) {
    AttachmentPart part;
    part.content_json = contents[i];
    if (i < request.loinc_codes.size()) {
      JsonBuffer buffer;
      JsonWriter w(buffer);
      write_coding(w, "http://loinc.org", request.loinc_codes[i]);
      part.code_json.assign(buffer.GetString(), buffer.GetSize());
    }
    out.attachments.push_back(std::move(part));
  }
  return out;
}

}  // namespace crdex::fhir
