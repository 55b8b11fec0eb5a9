#pragma once
// What the audit and feedback tests record and send: a hook call carrying an
// access token that must never be stored, audit records of such calls, and
// card feedback bodies.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "crdex/hooks/audit_record.hpp"
#include "crdex/hooks/feedback.hpp"

namespace crdex::test::audit {

inline constexpr const char* kAccessToken = "eyJ-access-token-never-stored-7f3a";

inline std::string hook_call(const std::string& hook_instance, const std::string& patient) {
  return R"({"hook":"order-sign","hookInstance":")" + hook_instance +
         R"(","fhirServer":"https://ehr.example.org/fhir","fhirAuthorization":{"access_token":")" + kAccessToken +
         R"(","token_type":"Bearer","expires_in":300,"scope":"patient/*.read","subject":"crdex"},)" +
         R"("context":{"userId":"Practitioner/1","patientId":")" + patient + R"("},"prefetch":{}})";
}

inline crdex::hooks::AuditRecord record_of(const std::string& hook_instance, const std::string& patient, int64_t at_ms,
                             std::vector<crdex::hooks::CardOrigin> cards = {}) {
  crdex::hooks::AuditRecord record;
  record.service_id = "crdex-order-sign";
  record.received_ms = at_ms;
  record.duration_us = 120;
  record.status = 200;
  record.request_body = hook_call(hook_instance, patient);
  record.response_body = R"({"cards":[]})";
  record.payer_id = "acme-health-plan";
  record.cards = std::move(cards);
  return record;
}

inline std::string card_feedback(const std::string& item) { return R"({"feedback":[)" + item + "]}"; }

inline constexpr const char* kCard = "6f1c2a9e-4b7d-4c1e-9a0b-2d3e4f5a6b7c";

// The error of reading `body` as feedback (its expression).
inline std::string feedback_error(const std::string& body) {
  auto read = crdex::hooks::read_feedback(body);
  BOOST_TEST_REQUIRE(!read.ok(), body);
  BOOST_TEST(read.error().http_status == 400);
  return read.error().expression;
}

}  // namespace crdex::test::audit
