// crdex-server fetching what the EHR did not prefetch, from a real FHIR server
// (tests/fhir-server) seeded with the CRD guide's example data: CH-15..CH-20,
// CRD-19, CRD found-5.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>

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

  // The X-Request-Id of each FHIR request the FHIR server received ("" without).
  std::vector<std::string> requested_ids() const {
    test::Json log(fhir.request_log());
    std::vector<std::string> ids;
    for (auto entry : log.root().get_array()) {
      std::string_view id;
      ids.emplace_back(entry["requestId"].get_string().get(id) == simdjson::SUCCESS ? id : std::string_view());
    }
    return ids;
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

BOOST_AUTO_TEST_CASE(ops1_order_select_warms_the_cache_a_later_order_sign_reuses) {
  const auto sign = pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest3.json"));
  auto select = test::replace_first(sign, R"("hook": "order-sign")", R"("hook": "order-select")");
  select = test::replace_first(select, R"("draftOrders")", R"("selections": ["CommunicationRequest/example"], "draftOrders")");
  const auto selected = post("crdex-order-select", select);
  BOOST_TEST_REQUIRE(selected.status == 200, selected.body);
  const auto after_select = requested_urls();
  BOOST_TEST(count_containing(after_select, "/fhir/Coverage?patient=123&status=active") == 1u);
  BOOST_TEST(count_containing(after_select, "/fhir/Patient/123") == 1u);

  // The clinician signs: what order-select fetched for patient 123 under the
  // same token is not fetched again.
  const auto signed_answer = post("crdex-order-sign", sign);
  BOOST_TEST_REQUIRE(signed_answer.status == 200, signed_answer.body);
  const auto after_sign = requested_urls();
  BOOST_TEST(count_containing(after_sign, "/fhir/Coverage?patient=123&status=active") == 1u, fhir.request_log());
  BOOST_TEST(count_containing(after_sign, "/fhir/Patient/123") == 1u);

  // Another token (another session) gets nothing from the cache.
  auto other = sign;
  replace_all(other, "some-opaque-fhir-access-token", "another-session-token");
  BOOST_TEST_REQUIRE(post("crdex-order-sign", other).status == 200);
  BOOST_TEST(count_containing(requested_urls(), "/fhir/Coverage?patient=123&status=active") == 2u);
}

BOOST_AUTO_TEST_CASE(ops_the_request_id_goes_on_every_direct_query_of_the_call) {
  const auto body = pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest3.json"));
  const auto given = test::http_request("POST", crdex.base_url() + "/cds-services/crdex-order-sign", body,
                                        "application/json", {"X-Request-Id: ehr-call-fill-0001"});
  BOOST_TEST_REQUIRE(given.status == 200, given.body);
  auto ids = requested_ids();
  BOOST_TEST_REQUIRE(ids.size() >= 2u, fhir.request_log());
  for (const auto& id : ids) BOOST_TEST(id == "ehr-call-fill-0001", fhir.request_log());

  // Without one, the id crdex made (echoed in the answer) is the one sent.
  auto other = body;
  replace_all(other, "some-opaque-fhir-access-token", "another-session-token");  // not from the cache
  const auto made = post("crdex-order-sign", other);
  BOOST_TEST_REQUIRE(made.status == 200, made.body);
  BOOST_TEST_REQUIRE(made.header("x-request-id").size() == 32u);
  ids = requested_ids();
  BOOST_TEST_REQUIRE(ids.size() > 2u);
  BOOST_TEST(ids.back() == made.header("x-request-id"), fhir.request_log());
}

BOOST_AUTO_TEST_CASE(CRD36_dev20_questionnaire_the_ehr_holds_is_not_created_again) {
  // Acme with a form whose Questionnaire the payer ships.
  test::TempDir rules;
  {
    std::ofstream file(rules.path() / "acme.json");
    file << R"({"schema":"crdex-rules/1",
      "payer":{"id":"acme-health-plan","name":"Acme Health Plan","identifiedBy":{"references":["Organization/acme-payer"]}},
      "defaultOutcome":{"covered":"covered","pa-needed":"no-auth","form":{"summary":"Complete the oxygen form",
        "label":"Oxygen CMN","questionnaire":"http://example.org/acme/Questionnaire/oxygen-cmn|2",
        "questionnaireResource":{"resourceType":"Questionnaire","url":"http://example.org/acme/Questionnaire/oxygen-cmn",
          "version":"2","status":"active","item":[{"linkId":"1","text":"SpO2 at rest","type":"decimal"}]}}}})";
  }
  test::ServerProcess acme({}, rules.path().string());
  const auto body = pointed_at_fhir(test::read_fixture("crd-ig/CRDServiceRequest.json"));
  std::string last_request_id;
  const auto actions_of_first_card = [&] {
    const auto answer = test::http_post(acme.base_url() + "/cds-services/crdex-order-sign", body);
    last_request_id = answer.header("x-request-id");
    BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
    test::Json json(answer.body);
    std::vector<std::string> types;
    for (auto action : json.root()["cards"].at(0)["suggestions"].at(0)["actions"].get_array())
      types.emplace_back(std::string_view(action["resource"]["resourceType"]));
    return types;
  };
  // The EHR lacks it: crdex asked first (dev-20), then suggests the create.
  BOOST_TEST((actions_of_first_card() == std::vector<std::string>{"Questionnaire", "Task"}));
  const auto query = "/fhir/Questionnaire?url=http://example.org/acme/Questionnaire/oxygen-cmn&version=2";
  BOOST_TEST(count_containing(requested_urls(), query) == 1u, fhir.request_log());
  // The lookup carries the call's request id like the prefetch queries.
  const auto urls = requested_urls();
  const auto ids = requested_ids();
  for (size_t i = 0; i < urls.size(); ++i)
    if (urls[i].find(query) != std::string::npos) BOOST_TEST(ids[i] == last_request_id, fhir.request_log());
  // The EHR holds it: only the Task.
  fhir.seed(R"({"resourceType":"Questionnaire","id":"oxygen-cmn","url":"http://example.org/acme/Questionnaire/oxygen-cmn",
      "version":"2","status":"active","item":[{"linkId":"1","text":"SpO2 at rest","type":"decimal"}]})");
  BOOST_TEST((actions_of_first_card() == std::vector<std::string>{"Task"}));
  BOOST_TEST(count_containing(requested_urls(), query) == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
