// GET /console/api/patients (console_patients.hpp): the patients of the FHIR
// server named by --console-fhir-server, searched by crdex with the
// clinician's token; a clear OperationOutcome when that server is down or
// fails; 404 when no server is configured; an unusable URL stops the server.
// The EHR view using it in a browser: tests/browser/console_test.mjs.
#include <boost/test/unit_test.hpp>

#include <string>

#include "support/fhir_server_process.hpp"
#include "support/guide_ehr_data.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

constexpr auto kSecondPatient = R"({"resourceType":"Patient","id":"p-2","active":true,
  "name":[{"use":"official","family":"Moreno","given":["Lena"]}],"gender":"female","birthDate":"1990-04-01",
  "identifier":[{"system":"http://example.org/NamingSystem/mrn","value":"2044"}]})";

std::string patients_issue_text(const std::string& outcome) {
  test::Json json(outcome);
  std::string_view text;
  if (json.root()["issue"].at(0)["diagnostics"].get_string().get(text) != simdjson::SUCCESS) return {};
  return std::string(text);
}

std::string patients_issue_code(const std::string& outcome) {
  test::Json json(outcome);
  std::string_view code;
  if (json.root()["issue"].at(0)["code"].get_string().get(code) != simdjson::SUCCESS) return {};
  return std::string(code);
}

struct ConsolePatientsServers {
  test::FhirServerProcess fhir;
  test::ServerProcess crdex{{"--console-fhir-server", fhir.fhir_url() + "/"}};

  ConsolePatientsServers() {
    test::seed_guide_prefetch(fhir);
    fhir.seed(kSecondPatient);
  }

  test::HttpResult patients(const std::string& query, const std::vector<std::string>& headers = {}) const {
    return test::http_request("GET", crdex.base_url() + "/console/api/patients" + query, {}, "application/json",
                              headers);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(console_patients, ConsolePatientsServers)

BOOST_AUTO_TEST_CASE(a_name_search_lists_the_matching_patients_of_the_fhir_server) {
  const auto answer = patients("?name=Moreno", {"X-FHIR-Access-Token: clinician-token-1"});
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  test::Json list(answer.body);
  BOOST_TEST(std::string_view(list.root()["fhirServer"]) == fhir.fhir_url());  // without the trailing '/'
  BOOST_TEST(bool(list.root()["more"]) == false);
  simdjson::dom::array found = list.root()["patients"];
  BOOST_TEST_REQUIRE(found.size() == 1u, answer.body);
  auto patient = found.at(0);
  BOOST_TEST(std::string_view(patient["id"]) == "p-2");
  BOOST_TEST(std::string_view(patient["name"]) == "Lena Moreno");
  BOOST_TEST(std::string_view(patient["birthDate"]) == "1990-04-01");
  BOOST_TEST(std::string_view(patient["gender"]) == "female");
  BOOST_TEST(std::string_view(patient["identifiers"].at(0)) == "http://example.org/NamingSystem/mrn|2044");

  // crdex asked for a bounded page, with the name and the clinician's token.
  test::Json log(fhir.request_log());
  simdjson::dom::array requests = log.root().get_array();
  BOOST_TEST_REQUIRE(requests.size() == 1u, fhir.request_log());
  const std::string url(std::string_view(requests.at(0)["url"]));
  BOOST_TEST(url.starts_with("/fhir/Patient?_count=20"), url);
  BOOST_TEST(url.find("name=Moreno") != std::string::npos, url);
  BOOST_TEST(std::string_view(requests.at(0)["authorization"]) == "Bearer clinician-token-1");
}

BOOST_AUTO_TEST_CASE(without_a_name_every_patient_is_listed_by_the_name_a_person_reads) {
  const auto answer = patients("");
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  test::Json list(answer.body);
  std::map<std::string, std::string> names;
  for (auto patient : list.root()["patients"].get_array())
    names[std::string(std::string_view(patient["id"]))] = std::string(std::string_view(patient["name"]));
  BOOST_TEST(names.size() == 2u, answer.body);
  BOOST_TEST(names["123"] == "Amy V. Baxter");  // her current name, not the old one
  BOOST_TEST(names["p-2"] == "Lena Moreno");
  // No token given: none sent.
  test::Json log(fhir.request_log());
  BOOST_TEST(log.root().get_array().at(0)["authorization"].is_null(), fhir.request_log());
}

BOOST_AUTO_TEST_CASE(a_name_with_spaces_and_symbols_reaches_the_fhir_server_encoded) {
  const auto answer = patients("?name=Amy%20V.%26x");
  BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  test::Json log(fhir.request_log());
  const std::string url(std::string_view(log.root().get_array().at(0)["url"]));
  BOOST_TEST(url.find("name=Amy%20V.%26x") != std::string::npos, url);
}

BOOST_AUTO_TEST_CASE(a_failing_fhir_server_gives_a_clear_operation_outcome) {
  fhir.set_fault(R"({"status":500,"match":"Patient?"})");
  const auto answer = patients("?name=Moreno");
  BOOST_TEST(answer.status == 502);
  const auto text = patients_issue_text(answer.body);
  BOOST_TEST(text.find(fhir.fhir_url()) != std::string::npos, text);
  BOOST_TEST(text.find("HTTP 500") != std::string::npos, text);
  fhir.set_fault("{}");
}

BOOST_AUTO_TEST_CASE(an_overlong_name_is_refused) {
  const auto answer = patients("?name=" + std::string(101, 'a'));
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(patients_issue_code(answer.body) == "value");
  BOOST_TEST(fhir.request_log() == "[]");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(console_patients_without_a_server)

BOOST_AUTO_TEST_CASE(a_fhir_server_that_is_down_gives_a_clear_operation_outcome) {
  const std::string down = "http://127.0.0.1:" + std::to_string(test::dead_local_port()) + "/fhir";
  test::ServerProcess crdex({"--console-fhir-server", down});
  const auto answer = test::http_get(crdex.base_url() + "/console/api/patients?name=x");
  BOOST_TEST(answer.status == 502);
  BOOST_TEST(answer.header("content-type").starts_with("application/fhir+json"), answer.header("content-type"));
  BOOST_TEST(patients_issue_code(answer.body) == "transient");
  const auto text = patients_issue_text(answer.body);
  BOOST_TEST(text.find(down) != std::string::npos, text);
  BOOST_TEST(text.find("could not be searched") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(without_the_option_the_answer_is_404_naming_it) {
  test::ServerProcess crdex;
  const auto answer = test::http_get(crdex.base_url() + "/console/api/patients");
  BOOST_TEST(answer.status == 404);
  BOOST_TEST(patients_issue_code(answer.body) == "not-found");
  BOOST_TEST(patients_issue_text(answer.body).find("--console-fhir-server") != std::string::npos, answer.body);
}

BOOST_AUTO_TEST_CASE(an_unusable_fhir_server_url_stops_the_server) {
  test::ServerProcess crdex({"--console-fhir-server", "ftp://ehr.example.org/fhir"}, {}, false);
  const auto status = crdex.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 2);
  BOOST_TEST(crdex.stderr_text().find("--console-fhir-server") != std::string::npos, crdex.stderr_text());
}

BOOST_AUTO_TEST_SUITE_END()
