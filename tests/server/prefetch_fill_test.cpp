// crdex-server fetching what the EHR did not prefetch, from a real FHIR server
// (tests/fhir-server) seeded with the CRD guide's example data: CH-15..CH-20,
// CRD-19, CRD found-5.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "support/fhir_server_process.hpp"
#include "support/fixtures.hpp"
#include "support/guide_ehr_data.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

using test::kGuideFhirServer;
using test::replace_all;
using test::without_member;
constexpr auto kGuideToken = "Bearer some-opaque-fhir-access-token";

struct FillServers {
  test::FhirServerProcess fhir;
  test::ServerProcess crdex{{"--prefetch-timeout-ms", "800"}};

  FillServers() { test::seed_guide_prefetch(fhir); }

  std::string pointed_at_fhir(std::string body) const {
    replace_all(body, kGuideFhirServer, fhir.fhir_url());
    return body;
  }

  test::HttpResult post(const std::string& service, const std::string& body) const {
    return test::http_post(crdex.base_url() + "/cds-services/" + service, body);
  }

  // The FHIR requests the FHIR server received, as "METHOD url" lines' urls.
  std::vector<std::string> requested_urls() const {
    test::Json log(fhir.request_log());
    std::vector<std::string> urls;
    for (auto entry : log.root().get_array()) urls.emplace_back(std::string_view(entry["url"]));
    return urls;
  }
};

size_t count_containing(const std::vector<std::string>& urls, const std::string& part) {
  return static_cast<size_t>(
      std::count_if(urls.begin(), urls.end(), [&](const std::string& url) { return url.find(part) != std::string::npos; }));
}

std::string bluestone_medication_request(const std::string& prefetch) {
  return test::order_sign_request(R"({"resource":{"resourceType":"MedicationRequest","id":"m1","status":"draft",
      "intent":"order","medicationReference":{"reference":"Medication/med1"},"subject":{"reference":"Patient/123"}}})",
                                  prefetch);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(prefetch_fill, FillServers)

BOOST_AUTO_TEST_CASE(CH16_found5_guide_requests_without_prefetch_match_full_prefetch) {
  const std::pair<const char*, const char*> cases[] = {{"crd-ig/CRDServiceRequest3.json", "crdex-order-sign"},
                                                       {"crd-ig/CRDServiceRequest4.json", "crdex-appointment-book"}};
  for (const auto& [fixture, service] : cases) {
    const auto original = test::read_fixture(fixture);
    const auto with_prefetch =
        post(service, test::with_prefetch(original, R"({"coverage":)" + test::ig_coverage_bundle() + "}"));
    BOOST_TEST_REQUIRE(with_prefetch.status == 200, with_prefetch.body);
    const auto fetched = post(service, pointed_at_fhir(original));
    BOOST_TEST_REQUIRE(fetched.status == 200, fetched.body);
    const auto expected = test::coverage_information_of_actions(with_prefetch.body);
    BOOST_TEST_REQUIRE(!expected.empty());
    BOOST_TEST((test::coverage_information_of_actions(fetched.body) == expected), fixture);
  }
  const auto urls = requested_urls();
  BOOST_TEST(count_containing(urls, "/fhir/Coverage?patient=123&status=active") == 2u);
  BOOST_TEST(count_containing(urls, "/fhir/Patient/123") == 2u);
  BOOST_TEST(count_containing(urls, "/fhir/PractitionerRole?_id=") == 2u);
  // The FHIR server saw the EHR's bearer token on every request.
  test::Json log(fhir.request_log());
  for (auto entry : log.root().get_array())
    BOOST_TEST(std::string_view(entry["authorization"]) == kGuideToken, std::string_view(entry["url"]));
}

BOOST_AUTO_TEST_CASE(CH15_prefetch_given_is_not_queried_again) {
  const auto answer = post("crdex-order-sign", pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest.json")));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  BOOST_TEST(requested_urls().empty(), fhir.request_log());
}

BOOST_AUTO_TEST_CASE(CH15_CH16_partial_prefetch_queries_only_what_is_missing_in_dependency_order) {
  auto body = pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest.json"));
  test::Json request(body);
  std::string prefetch = test::minified(request.root()["prefetch"].value());
  // Without practitionerRoles and practitioners; practitioners reads %practitionerRoles.
  for (const char* key : {"practitionerRoles", "practitioners"}) {
    test::Json current(prefetch);
    replace_all(prefetch, "\"" + std::string(key) + "\":" + test::minified(current.root()[key].value()) + ",", "");
  }
  const auto answer = post("crdex-order-sign", test::with_prefetch(without_member(body, "prefetch"), prefetch));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  const auto urls = requested_urls();
  BOOST_TEST_REQUIRE(urls.size() == 2u, fhir.request_log());
  BOOST_TEST(urls[0] == "/fhir/PractitionerRole?_id=ABC");
  // DEF comes from the PractitionerRole just fetched.
  BOOST_TEST(urls[1] == "/fhir/Practitioner?_id=DEF");
}

BOOST_AUTO_TEST_CASE(CH17_null_key_means_no_data_and_is_not_queried) {
  auto body = pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest.json"));
  test::Json request(body);
  body = test::minified(request.root());
  replace_all(body, test::minified(request.root()["prefetch"]["encounter"].value()), "null");
  const auto answer = post("crdex-order-sign", body);
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  BOOST_TEST(requested_urls().empty(), fhir.request_log());
}

BOOST_AUTO_TEST_CASE(CH18_operation_outcome_in_prefetch_is_queried) {
  auto body = pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest.json"));
  const auto expected = test::coverage_information_of_actions(post("crdex-order-sign", body).body);
  test::Json request(body);
  body = test::minified(request.root());
  replace_all(body, test::minified(request.root()["prefetch"]["coverage"].value()),
              R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"timeout"}]})");
  const auto answer = post("crdex-order-sign", body);
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  BOOST_TEST((test::coverage_information_of_actions(answer.body) == expected));
  BOOST_TEST(requested_urls() == std::vector<std::string>{"/fhir/Coverage?patient=123&status=active"});
}

BOOST_AUTO_TEST_CASE(CRD19_failed_query_makes_that_order_indeterminate_technical) {
  const std::string prefetch = R"({"coverage":)" + test::coverage("C2", R"([{"display":"Bluestone Health"}])") + "}";
  fhir.seed(R"({"resourceType":"Medication","id":"med1","code":{"coding":[{"system":
      "http://www.nlm.nih.gov/research/umls/rxnorm","code":"1049502","display":"OxyContin 10 MG"}]}})");
  auto body = bluestone_medication_request(prefetch);
  replace_all(body, "http://ehr.example.org/fhir", fhir.fhir_url());

  // Reachable: the Medication comes from the FHIR server and is decided.
  auto answer = post("crdex-order-sign", body);
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  test::Json decided(answer.body);
  BOOST_TEST(test::coverage_information_code(decided.root()["systemActions"].at(0)["resource"].value(), "covered") ==
             "not-covered");
  BOOST_TEST(count_containing(requested_urls(), "/fhir/Medication?_id=med1") == 1u);

  // The FHIR server fails that query: 200, indeterminate + technical, with why.
  fhir.set_fault(R"({"status":500,"match":"Medication"})");
  answer = post("crdex-order-sign", body);
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  test::Json failed(answer.body);
  auto resource = failed.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(resource, "covered") == "indeterminate");
  const auto reason = test::coverage_information_code(resource, "reason");
  BOOST_TEST(reason.find(R"("code":"technical")") != std::string::npos, reason);
  BOOST_TEST(reason.find("HTTP 500") != std::string::npos, reason);
}

BOOST_AUTO_TEST_CASE(CRD19_found2_slow_server_still_answers_on_time) {
  const std::string prefetch = R"({"coverage":)" + test::coverage("C2", R"([{"display":"Bluestone Health"}])") + "}";
  auto body = bluestone_medication_request(prefetch);
  replace_all(body, "http://ehr.example.org/fhir", fhir.fhir_url());
  fhir.set_fault(R"({"delayMs":10000})");
  const auto start = std::chrono::steady_clock::now();
  const auto answer = post("crdex-order-sign", body);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  // crdex gave up after its 800 ms budget, long before the server's 10 s.
  BOOST_TEST(took.count() < 5000);
  test::Json json(answer.body);
  auto resource = json.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(resource, "covered") == "indeterminate");
  const auto reason = test::coverage_information_code(resource, "reason");
  BOOST_TEST(reason.find("Medication?_id=med1: no answer within the time allowed") != std::string::npos, reason);
}

BOOST_AUTO_TEST_CASE(CH19_dead_or_resetting_server_without_coverage_is_412) {
  auto body = test::read_fixture("crd-ig/CRDServiceRequest3.json");
  replace_all(body, kGuideFhirServer, "http://127.0.0.1:" + std::to_string(test::dead_local_port()) + "/fhir");
  auto answer = post("crdex-order-sign", body);
  BOOST_TEST(answer.status == 412, answer.body);
  BOOST_TEST(answer.body.find("could not fetch") != std::string::npos, answer.body);
  BOOST_TEST(answer.body.find("some-opaque-fhir-access-token") == std::string::npos);

  fhir.set_fault(R"({"reset":true,"match":"Coverage"})");
  answer = post("crdex-order-sign", pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest3.json")));
  BOOST_TEST(answer.status == 412, answer.body);
}

BOOST_AUTO_TEST_CASE(CH19_missing_token_is_412_without_any_query) {
  const auto body = without_member(pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest3.json")),
                                   "fhirAuthorization");
  const auto answer = post("crdex-order-sign", body);
  BOOST_TEST(answer.status == 412, answer.body);
  BOOST_TEST(answer.body.find("fhirAuthorization") != std::string::npos, answer.body);
  BOOST_TEST(requested_urls().empty());
}

BOOST_AUTO_TEST_SUITE_END()
