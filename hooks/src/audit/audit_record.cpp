#include "crdex/hooks/audit_record.hpp"

#include "crdex/config/rule_store.hpp"
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

namespace {

// The 32 bytes of SHA-256(data).
std::string sha256_bytes(std::string_view data) {
  const std::string hex = config::sha256_checksum(data);  // "sha256:<64 hex digits>"
  std::string out(32, '\0');
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>((nibble(hex[7 + 2 * i]) << 4) | nibble(hex[8 + 2 * i]));
  return out;
}

// The compact form of `record` (its bodies given apart): the searchable
// fields read from the request when the engine did not, the bodies' hashes.
void compact_from(AuditRecord& record, std::string_view request_body, std::string_view response_body) {
  record.keep_bodies = false;
  if (!record.fields_read) {
    auto request = redact_request(request_body);
    record.hook = std::move(request.hook);
    record.hook_instance = std::move(request.hook_instance);
    record.patient_id = std::move(request.patient_id);
    record.fields_read = true;
  }
  record.request_sha256 = sha256_bytes(request_body);
  record.response_sha256 = sha256_bytes(response_body);
  record.request_bytes = static_cast<int64_t>(request_body.size());
  record.response_bytes = static_cast<int64_t>(response_body.size());
  record.hashed = true;
}

}  // namespace

AuditRecord audit_record_of(std::string_view service_id, std::string_view request_body, ServiceResponse& response,
                            int64_t received_ms, int64_t duration_us, bool keep_bodies) {
  AuditRecord record;
  record.service_id = service_id;
  record.received_ms = received_ms;
  record.duration_us = duration_us;
  record.status = response.status;
  if (keep_bodies) {
    record.request_body = request_body;
    record.response_body = response.body;
  }
  record.payer_id = response.payer_id;
  record.cards = std::move(response.cards);
  // The engine read these when the request got as far as its hook; a request
  // refused before that is read by the writer, as every request once was.
  record.fields_read = !response.hook.empty();
  record.hook = std::move(response.hook);
  record.hook_instance = std::move(response.hook_instance);
  record.patient_id = std::move(response.patient_id);
  if (!keep_bodies) compact_from(record, request_body, response.body);
  return record;
}

void make_compact(AuditRecord& record) {
  if (record.hashed) return;
  compact_from(record, record.request_body, record.response_body);
  record.request_body = std::string();
  record.response_body = std::string();
}

}  // namespace crdex::hooks
