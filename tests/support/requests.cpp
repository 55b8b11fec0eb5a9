#include "support/requests.hpp"

#include <stdexcept>

#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

namespace crdex::test {

std::string ig_coverage_bundle() {
  Json request(read_fixture("crd-ig/CRDServiceRequest.json"));
  return minified(request.root()["prefetch"]["coverage"].value());
}

std::string coverage(const std::string& id, const std::string& payor, const std::string& status) {
  return R"({"resourceType":"Coverage","id":")" + id + R"(","status":")" + status +
         R"(","beneficiary":{"reference":"Patient/123"},"payor":)" + payor + "}";
}

std::string order_sign_request(const std::string& draft_orders_entries, const std::string& prefetch,
                               const std::string& extension) {
  std::string body = R"({"hook":"order-sign","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer":"http://ehr.example.org/fhir",
    "fhirAuthorization":{"access_token":"token","token_type":"Bearer","expires_in":300,
      "scope":"user/Patient.read","subject":"crdex"},
    "context":{"userId":"Practitioner/example","patientId":"123","encounterId":"987",
      "draftOrders":{"resourceType":"Bundle","type":"collection","entry":[)" +
                     draft_orders_entries + "]}}";
  if (!prefetch.empty()) body += R"(,"prefetch":)" + prefetch;
  if (!extension.empty()) body += R"(,"extension":)" + extension;
  return body + "}";
}

std::string service_request_entry(const std::string& id, const std::string& system, const std::string& code) {
  return R"({"resource":{"resourceType":"ServiceRequest","id":")" + id +
         R"(","status":"draft","intent":"original-order","code":{"coding":[{"system":")" + system +
         R"(","code":")" + code + R"("}]},"subject":{"reference":"Patient/123"}}})";
}

std::string with_prefetch(const std::string& request, const std::string& prefetch) {
  const auto open = request.find('{');
  if (open == std::string::npos) throw std::invalid_argument("not a JSON object");
  return request.substr(0, open + 1) + R"("prefetch":)" + prefetch + "," + request.substr(open + 1);
}

std::string with_prefetch_key(const std::string& request, const std::string& key, const std::string& value) {
  const auto prefetch = request.find("\"prefetch\"");
  const auto open = prefetch == std::string::npos ? prefetch : request.find('{', prefetch);
  if (open == std::string::npos) throw std::invalid_argument("the request has no prefetch object");
  return request.substr(0, open + 1) + "\"" + key + "\":" + value + "," + request.substr(open + 1);
}

std::string replace_first(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::invalid_argument("not found: " + from);
  return text.replace(at, from.size(), to);
}

std::string medication_request(const std::string& id, const std::string& rxnorm) {
  return R"({"resourceType":"MedicationRequest","id":")" + id +
         R"(","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":
         "http://www.nlm.nih.gov/research/umls/rxnorm","code":")" + rxnorm +
         R"("}]},"subject":{"reference":"Patient/123"}})";
}

std::string order_dispatch_request() {
  auto body = read_fixture("crd-ig/CRDServiceRequest2.json");
  body = replace_first(body, "\"coverage-info\": false", "\"coverage-info\": true");
  return with_prefetch_key(body, "medicationRequests",
                           R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":)" +
                               medication_request("1111", "197806") + R"(},{"resource":)" +
                               medication_request("2222", "1049502") + "}]}");
}

}  // namespace crdex::test
