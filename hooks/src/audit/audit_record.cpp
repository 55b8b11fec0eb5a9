#include "crdex/hooks/audit_record.hpp"

#include "crdex/fhir/json_writer.hpp"

namespace crdex::hooks {

RedactedRequest redact_request(std::string_view body) {
  RedactedRequest out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(object) != simdjson::SUCCESS)
    return out;
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  for (auto field : object) {
    // simdjson hands keys unescaped, so "fhir\u0041uthorization" is caught too.
    if (field.key == "fhirAuthorization") continue;
    fhir::write_key(w, field.key);
    fhir::write_raw(w, field.value);
    std::string_view text;
    if (field.key == "hook" && field.value.get_string().get(text) == simdjson::SUCCESS) out.hook = text;
    if (field.key == "hookInstance" && field.value.get_string().get(text) == simdjson::SUCCESS)
      out.hook_instance = text;
    if (field.key == "context" && field.value["patientId"].get_string().get(text) == simdjson::SUCCESS)
      out.patient_id = text;
  }
  w.EndObject();
  out.json.assign(buffer.GetString(), buffer.GetSize());
  return out;
}

AuditRecord audit_record_of(std::string_view service_id, std::string_view request_body, ServiceResponse& response,
                            int64_t received_ms, int64_t duration_us) {
  AuditRecord record;
  record.service_id = service_id;
  record.received_ms = received_ms;
  record.duration_us = duration_us;
  record.status = response.status;
  record.request_body = request_body;
  record.response_body = response.body;
  record.payer_id = response.payer_id;
  record.cards = std::move(response.cards);
  // The engine read these when the request got as far as its hook; a request
  // refused before that is read by the writer, as every request once was.
  record.fields_read = !response.hook.empty();
  record.hook = std::move(response.hook);
  record.hook_instance = std::move(response.hook_instance);
  record.patient_id = std::move(response.patient_id);
  return record;
}

}  // namespace crdex::hooks
