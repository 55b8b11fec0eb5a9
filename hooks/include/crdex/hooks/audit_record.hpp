#pragma once
// What the audit log keeps of one hook call (CRD found-37: every invocation
// and response, retrievable), and the redaction applied before anything is
// stored: the request's fhirAuthorization (the EHR's access token) is
// removed, and no HTTP header (Authorization with the client's JWT) is ever
// part of a record.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/hooks/engine.hpp"

namespace crdex::hooks {

// Queued by the request thread. A full record (keep_bodies) carries copies of
// the bodies, redacted and stored by the writer; a compact one carries only
// their SHA-256 and sizes, computed by the request thread, so the writer
// thread does no hashing and the queue holds a few hundred bytes per call.
struct AuditRecord {
  std::string service_id;
  int64_t received_ms = 0;  // epoch ms
  int64_t duration_us = 0;
  int status = 0;
  std::string request_body;  // as received; redacted by the writer before storing
  std::string response_body;
  std::string payer_id;
  std::vector<CardOrigin> cards;
  std::string request_id;  // the call's X-Request-Id, also sent on its outgoing queries ("": none)
  // The searchable fields as the engine read them while answering
  // (ServiceResponse); when `fields_read` is false the writer reads them
  // from request_body.
  std::string hook;
  std::string hook_instance;
  std::string patient_id;
  bool fields_read = false;
  // False (crdex-server's default; --audit-bodies sets it): the bodies are
  // not stored, only their SHA-256 and sizes; the searchable fields and the
  // card origins (rule, rule-set version, card type, order) are kept.
  bool keep_bodies = true;
  // Compact records made by compact_audit_record: the bodies' SHA-256 (32
  // bytes each) and sizes; request_body and response_body are then empty.
  bool hashed = false;
  std::string request_sha256;
  std::string response_sha256;
  int64_t request_bytes = 0;
  int64_t response_bytes = 0;
};

// A record as stored and read back.
struct AuditEntry {
  int64_t id = 0;
  std::string recorded_at;  // RFC 3339 UTC
  std::string service_id;
  std::string hook;
  std::string hook_instance;
  std::string patient_id;
  std::string payer_id;
  int status = 0;
  int64_t duration_us = 0;
  std::string request;  // JSON without fhirAuthorization; empty when the body was not a JSON object
  std::string response;
  std::string request_id;  // "" for calls recorded before request ids were (or without one)
};

// The request body made safe to store, and the fields the log is searched by.
struct RedactedRequest {
  std::string json;  // minified; empty when the body was not a JSON object (then nothing of it is kept)
  std::string hook;
  std::string hook_instance;
  std::string patient_id;  // context.patientId
};

// Removes every top-level "fhirAuthorization" member. A body that is not a
// JSON object is not kept at all: it cannot be redacted with certainty.
RedactedRequest redact_request(std::string_view body);

// Builds the record of one call; the response's card origins are moved out.
// `keep_bodies` false: a compact record, hashed here (make_compact) without
// copying the bodies.
AuditRecord audit_record_of(std::string_view service_id, std::string_view request_body, ServiceResponse& response,
                            int64_t received_ms, int64_t duration_us, bool keep_bodies = true);

// Makes `record` compact (keep_bodies false) on the calling thread: reads the
// searchable fields from the request if the engine did not, hashes both
// bodies, and empties them.
void make_compact(AuditRecord& record);

}  // namespace crdex::hooks
