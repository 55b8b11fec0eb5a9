// Issue 15: what CDS clients in the field send, through the engine (no HTTP).
// Numbers come back as the EHR wrote them (point 3); what clients leave out or
// send as null is tolerated (point 4); an order without a usable code gets no
// positive determination (point 5). Request variants are built inline from the
// CRD guide's example (tests/fixtures/crd-ig) and the suites' request parts.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <mutex>
#include <vector>

#include "hooks/engine_fixture.hpp"
#include "support/requests.hpp"

using namespace crdex;

namespace {

constexpr const char* kFieldOrderSign = "crdex-order-sign";
const std::string kFieldAcmePayor = R"([{"reference":"Organization/acme-payer","display":"Acme Health Plan"}])";

std::string field_prefetch(const std::string& coverage_value) {
  return R"({"patient":{"resourceType":"Patient","id":"123"},"coverage":)" + coverage_value + "}";
}

std::string field_request(const std::string& entries) {
  return test::order_sign_request(entries, field_prefetch(test::coverage("C1", kFieldAcmePayor)));
}

// The issue's numbers in an order: its quantity, an extension, a contained
// resource and a dosage, each spelled as an EHR may spell it.
std::string order_with_spelled_numbers() {
  return R"({"resource":{"resourceType":"ServiceRequest","id":"num1","status":"draft","intent":"original-order",
    "extension":[{"url":"http://example.org/fhir/StructureDefinition/amount","valueDecimal":100.00},
                 {"url":"http://example.org/fhir/StructureDefinition/exact","valueDecimal":1.000000000000000000001},
                 {"url":"http://example.org/fhir/StructureDefinition/long","valueDecimal":1234567890.123456789012345678901},
                 {"url":"http://example.org/fhir/StructureDefinition/huge","valueDecimal":18446744073709551616}],
    "contained":[{"resourceType":"Medication","id":"m1","amount":{"numerator":{"value":1E2,"unit":"mg"},
                  "denominator":{"value":2.50,"unit":"mL"}}}],
    "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"77067"}]},
    "quantityQuantity":{"value":1.50,"unit":"each"},
    "subject":{"reference":"Patient/123"}}})";
}

bool field_has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hooks_field_clients, test::EngineFixture)

// ---- Point 3: numbers exactly as sent --------------------------------------

BOOST_AUTO_TEST_CASE(ISSUE15_numbers_in_orders_extensions_and_contained_come_back_as_sent) {
  const auto answer = call(kFieldOrderSign, field_request(order_with_spelled_numbers()));
  // A value beyond 2^64 used to make the whole call a 400 "not valid JSON".
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  const auto& text = answer.text;
  for (const std::string spelled :
       {R"("valueDecimal":100.00)", R"("valueDecimal":1.000000000000000000001)",
        R"("valueDecimal":1234567890.123456789012345678901)", R"("valueDecimal":18446744073709551616)",
        R"("numerator":{"value":1E2,"unit":"mg"})", R"("denominator":{"value":2.50,"unit":"mL"})",
        R"("quantityQuantity":{"value":1.50,"unit":"each"})"})
    BOOST_TEST(field_has(text, spelled), spelled << " in " << text);
  BOOST_TEST(!field_has(text, "100.0,"));
  BOOST_TEST(!field_has(text, "\"value\":100.0"));
  BOOST_TEST(!field_has(text, "\"value\":1.5,"));
}

BOOST_AUTO_TEST_CASE(ISSUE15_numbers_of_a_medication_order_come_back_as_sent) {
  const std::string order = R"({"resource":{"resourceType":"MedicationRequest","id":"med1","status":"draft",
    "intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm",
    "code":"197806"}]},"subject":{"reference":"Patient/123"},
    "dosageInstruction":[{"doseAndRate":[{"doseQuantity":{"value":0.50,"unit":"mg"}}],
      "maxDosePerPeriod":{"numerator":{"value":4.0},"denominator":{"value":1E0,"unit":"d"}}}],
    "dispenseRequest":{"quantity":{"value":30.000},"numberOfRepeatsAllowed":2}}})";
  const auto answer = call(kFieldOrderSign, field_request(order));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  const auto& resource = answer.text;  // as crdex wrote it (a re-serialisation would respell)
  BOOST_TEST(field_has(resource, R"("doseQuantity":{"value":0.50,"unit":"mg"})"), resource);
  BOOST_TEST(field_has(resource, R"({"numerator":{"value":4.0},"denominator":{"value":1E0,"unit":"d"}})"), resource);
  BOOST_TEST(field_has(resource, R"("quantity":{"value":30.000},"numberOfRepeatsAllowed":2)"), resource);
}

// ---- Point 4: liberal in what it accepts ----------------------------------

BOOST_AUTO_TEST_CASE(ISSUE15_null_fhirAuthorization_and_fhirServer_mean_absent) {
  auto body = field_request(test::service_request_entry("x", test::kCpt, "77067"));
  body = test::replace_first(body, R"("fhirServer":"http://ehr.example.org/fhir")", R"("fhirServer":null)");
  const auto start = body.find("\"fhirAuthorization\":{");
  const auto end = body.find('}', start);
  body.replace(start, end - start + 1, R"("fhirAuthorization":null)");
  const auto answer = call(kFieldOrderSign, body);
  BOOST_TEST(answer.status == 200, answer.text);
  // null for other optional members too: encounterId, prefetch keys, extension.
  auto more = test::replace_first(body, R"("encounterId":"987")", R"("encounterId":null)");
  more = more.substr(0, more.size() - 1) + R"(,"extension":null})";
  BOOST_TEST(call(kFieldOrderSign, more).status == 200);
}

BOOST_AUTO_TEST_CASE(ISSUE15_empty_access_token_is_no_token) {
  auto body = field_request(test::service_request_entry("x", test::kCpt, "77067"));
  body = test::replace_first(body, R"("fhirServer":"http://ehr.example.org/fhir",)", "");
  body = test::replace_first(body, R"("access_token":"token")", R"("access_token":"")");
  const auto answer = call(kFieldOrderSign, body);
  BOOST_TEST(answer.status == 200, answer.text);
}

// The CRD reference client: its Coverage and draft devices in Bundles under
// its own keys, fhirServer set, access_token empty.
BOOST_AUTO_TEST_CASE(ISSUE15_reference_client_bundles_under_its_own_keys) {
  const std::string device_request = R"({"resource":{"resourceType":"DeviceRequest","id":"dr1","status":"draft",
    "intent":"original-order","codeReference":{"reference":"Device/dev1"},"subject":{"reference":"Patient/123"}}})";
  const std::string coverage_bundle = R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)" +
                                      test::coverage("C1", kFieldAcmePayor) + "}]}";
  const std::string device_bundle = R"({"resourceType":"Bundle","type":"collection","entry":[
    {"resource":{"resourceType":"Device","id":"dev1","type":{"coding":[{"system":
      "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets","code":"E0431"}]}}}]})";
  auto body = test::order_sign_request(device_request, R"({"patient":{"resourceType":"Patient","id":"123"},
    "coverageBundle":)" + coverage_bundle + R"(,"deviceRequestBundle":)" + device_bundle + "}");
  body = test::replace_first(body, R"("access_token":"token")", R"("access_token":"")");
  const auto answer = call(kFieldOrderSign, body);
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  const auto resource = answer.root()["systemActions"].at(0)["resource"].value();
  // Matched through the Device found by content: the oxygen rule.
  BOOST_TEST(test::coverage_information_code(resource, "covered") == "conditional");
  BOOST_TEST(test::coverage_information_code(resource, "pa-needed") == "auth-needed");
  BOOST_TEST(test::coverage_information_code(resource, "coverage") == R"({"reference":"Coverage/C1"})");
}

BOOST_AUTO_TEST_CASE(ISSUE15_coverage_without_status_counts_as_active) {
  auto coverage = test::coverage("C1", kFieldAcmePayor);
  coverage = test::replace_first(coverage, R"("status":"active",)", "");
  const auto answer = call(kFieldOrderSign, test::order_sign_request(test::service_request_entry("x", test::kCpt, "77067"),
                                                                     field_prefetch(coverage)));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  BOOST_TEST(test::coverage_information_code(answer.root()["systemActions"].at(0)["resource"].value(), "covered") ==
             "covered");
}

BOOST_AUTO_TEST_CASE(ISSUE15_several_coverages_are_narrowed_by_status_then_insurance) {
  const auto bundle_of = [](const std::string& a, const std::string& b) {
    return R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":)" + a + R"(},{"resource":)" + b +
           "}]}";
  };
  // One cancelled, one active: the active one.
  auto by_status = call(kFieldOrderSign, test::order_sign_request(
                                             test::service_request_entry("x", test::kCpt, "77067"),
                                             field_prefetch(bundle_of(test::coverage("OLD", kFieldAcmePayor, "cancelled"),
                                                                      test::coverage("NEW", kFieldAcmePayor)))));
  BOOST_TEST_REQUIRE(by_status.status == 200, by_status.text);
  BOOST_TEST(test::coverage_information_code(by_status.root()["systemActions"].at(0)["resource"].value(),
                                             "coverage") == R"({"reference":"Coverage/NEW"})");
  // Two active: the one the order names in `insurance`.
  auto order = test::service_request_entry("x", test::kCpt, "77067");
  order = test::replace_first(order, R"("subject":)", R"("insurance":[{"reference":"Coverage/B"}],"subject":)");
  auto by_insurance = call(kFieldOrderSign,
                           test::order_sign_request(order, field_prefetch(bundle_of(test::coverage("A", kFieldAcmePayor),
                                                                                    test::coverage("B", kFieldAcmePayor)))));
  BOOST_TEST_REQUIRE(by_insurance.status == 200, by_insurance.text);
  BOOST_TEST(test::coverage_information_code(by_insurance.root()["systemActions"].at(0)["resource"].value(),
                                             "coverage") == R"({"reference":"Coverage/B"})");
  // Two active and nothing to tell them apart: still 400 (CRD dev-29).
  auto ambiguous = call(kFieldOrderSign, test::order_sign_request(
                                             test::service_request_entry("x", test::kCpt, "77067"),
                                             field_prefetch(bundle_of(test::coverage("A", kFieldAcmePayor),
                                                                      test::coverage("B", kFieldAcmePayor)))));
  BOOST_TEST(ambiguous.status == 400);
}

BOOST_AUTO_TEST_CASE(ISSUE15_missing_userId_is_tolerated_and_logged) {
  std::mutex mutex;
  std::vector<std::string> lines;
  engine.set_log_sink([&](hooks::LogLevel, std::string_view message) {
    std::lock_guard lock(mutex);
    lines.emplace_back(message);
  });
  auto body = field_request(test::service_request_entry("x", test::kCpt, "77067"));
  body = test::replace_first(body, R"("userId":"Practitioner/example",)", "");
  const auto answer = call(kFieldOrderSign, body);
  BOOST_TEST(answer.status == 200, answer.text);
  std::lock_guard lock(mutex);
  const auto noted = std::count_if(lines.begin(), lines.end(),
                                   [](const std::string& line) { return field_has(line, "context.userId is absent"); });
  BOOST_TEST(noted == 1);
}

BOOST_AUTO_TEST_CASE(ISSUE15_constant_hookInstance_untyped_bundle_and_nameless_patient_keep_working) {
  auto body = field_request(test::service_request_entry("x", test::kCpt, "77067"));
  body = test::replace_first(body, R"("type":"collection",)", "");
  body = test::replace_first(body, "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "1");
  body = test::replace_first(body, R"({"resourceType":"Patient","id":"123"})",
                             R"({"resourceType":"Patient","id":"123","name":[{"family":"Doe"}]})");
  for (int i = 0; i < 3; ++i) BOOST_TEST(call(kFieldOrderSign, body).status == 200);
}

// ---- Point 5: no determination without facts ------------------------------

BOOST_AUTO_TEST_CASE(ISSUE15_order_without_usable_code_gets_no_positive_assertion) {
  const std::string head = R"({"resource":{"resourceType":"ServiceRequest","id":"nocode","status":"draft",
    "intent":"original-order",)";
  const std::string tail = R"("subject":{"reference":"Patient/123"}}})";
  const std::vector<std::string> codes = {R"("code":{"coding":[{}]},)", "", R"("code":{"text":"MRI knee"},)",
                                          R"("code":{"coding":[{"display":"MRI"}]},)"};
  for (const auto& code : codes) {
    const auto answer = call(kFieldOrderSign, field_request(head + code + tail));
    BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
    const auto resource = answer.root()["systemActions"].at(0)["resource"].value();
    BOOST_TEST(test::coverage_information_code(resource, "covered") == "conditional", code);
    BOOST_TEST(test::coverage_information_code(resource, "pa-needed") == "conditional", code);
    BOOST_TEST(test::coverage_information_code(resource, "info-needed") == "detail-code", code);
    BOOST_TEST(field_has(test::coverage_information_code(resource, "reason"), "detail-code"), code);
    BOOST_TEST(field_has(test::coverage_information_code(resource, "reason"), "no usable code"), code);
  }
}

BOOST_AUTO_TEST_SUITE_END()
