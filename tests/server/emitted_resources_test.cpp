// What crdex-server emits, over HTTP, for every hook and response type: CDS
// Hooks shape rules (CH-03, CH-06, CH-07, CH-09..CH-11, CRD-27, CRD-28) and, for
// every resource inside a system action or a suggestion, FHIR R4 validity as
// judged by an independent validator (FHIR.js, tests/fhir-validator).
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <set>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

const std::string kBluestone = R"({"coverage":)" +
                               test::coverage("B1", R"([{"display":"Bluestone Health"}])") + "}";

struct Call {
  std::string service;
  std::string body;
};

// One request per hook, chosen so that together they produce every response
// type crdex has: coverage information, prior-authorization notices, external
// reference, instructions, alternate request, additional orders, form
// completion and SMART app links.
std::vector<Call> calls() {
  const auto ig_coverage = R"({"coverage":)" + test::ig_coverage_bundle() + "}";
  return {
      {"crdex-order-sign", test::read_fixture("crd-ig/CRDServiceRequest.json")},
      {"crdex-order-sign", test::order_sign_request(test::service_request_entry("mri", test::kCpt, "72148") + R"(,{"resource":)" +
                                                        test::medication_request("rx", "1049502") + "}",
                                                    kBluestone)},
      {"crdex-order-sign", test::order_sign_request(test::service_request_entry("lab", test::kCpt, "80076"), ig_coverage)},
      {"crdex-order-select",
       test::replace_first(test::replace_first(test::order_sign_request(test::service_request_entry("pa", test::kCpt, "77061"),
                                                                        ig_coverage),
                                               "\"order-sign\"", "\"order-select\""),
                           "\"draftOrders\"", R"("selections":["ServiceRequest/pa"],"draftOrders")")},
      {"crdex-order-dispatch", test::order_dispatch_request()},
      {"crdex-appointment-book", test::with_prefetch(test::read_fixture("crd-ig/CRDServiceRequest4.json"), ig_coverage)},
  };
}

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0 && output.find("\"valid\"") == std::string::npos)
    throw std::runtime_error(command + " failed: " + output);
  return output;
}

void check_card(simdjson::dom::element card, std::set<std::string>& topics) {
  BOOST_TEST(std::string_view(card["uuid"]).size() == 36u);
  const std::string_view summary = card["summary"];
  BOOST_TEST((!summary.empty() && summary.size() < 140));
  const std::string_view indicator = card["indicator"];
  BOOST_TEST((indicator == "info" || indicator == "warning" || indicator == "critical"));
  BOOST_TEST(!std::string_view(card["source"]["label"]).empty());
  BOOST_TEST(std::string_view(card["source"]["topic"]["system"]) ==
             "http://terminology.hl7.org/CodeSystem/cdshooks-card-type");
  topics.insert(std::string(std::string_view(card["source"]["topic"]["code"])));
  simdjson::dom::array suggestions;
  if (card["suggestions"].get(suggestions) == simdjson::SUCCESS) {
    const std::string_view behavior = card["selectionBehavior"];
    BOOST_TEST((behavior == "at-most-one" || behavior == "any"));
    for (auto suggestion : suggestions) {
      BOOST_TEST(std::string_view(suggestion["uuid"]).size() == 36u);
      BOOST_TEST(!std::string_view(suggestion["label"]).empty());
      for (auto action : suggestion["actions"].get_array()) {
        const std::string_view type = action["type"];
        BOOST_TEST((type == "create" || type == "update" || type == "delete"));
        BOOST_TEST(!std::string_view(action["description"]).empty());
      }
    }
  }
  simdjson::dom::array links;
  if (card["links"].get(links) == simdjson::SUCCESS) {
    for (auto link : links) {
      const std::string_view type = link["type"];
      BOOST_TEST((type == "absolute" || type == "smart"));
      BOOST_TEST(std::string_view(link["url"]).starts_with("http"));
      simdjson::dom::element app_context;
      if (link["appContext"].get(app_context) == simdjson::SUCCESS) BOOST_TEST(type == "smart");
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_emitted_resources)

BOOST_AUTO_TEST_CASE(CH03_CH07_CRD27_every_response_is_well_formed_and_every_resource_valid_fhir_r4) {
  test::ServerProcess server;
  std::string resources = "[";
  size_t resource_count = 0;
  std::set<std::string> topics;
  const auto add_resource = [&](simdjson::dom::element resource) {
    resources += (resource_count++ ? "," : "") + test::minified(resource);
  };
  for (const auto& call : calls()) {
    const auto response = test::http_post(server.base_url() + "/cds-services/" + call.service, call.body);
    BOOST_TEST_REQUIRE(response.status == 200, call.service << ": " << response.body);
    test::Json answer(response.body);
    const auto empties = test::empty_values(answer.root());
    BOOST_TEST(empties.empty(), call.service << ": " << (empties.empty() ? "" : empties.front()));
    for (auto card : answer.root()["cards"].get_array()) {
      check_card(card, topics);
      simdjson::dom::array suggestions;
      if (card["suggestions"].get(suggestions) != simdjson::SUCCESS) continue;
      for (auto suggestion : suggestions)
        for (auto action : suggestion["actions"].get_array()) {
          simdjson::dom::element resource;
          if (action["resource"].get(resource) == simdjson::SUCCESS) add_resource(resource);
        }
    }
    simdjson::dom::array actions;
    if (answer.root()["systemActions"].get(actions) == simdjson::SUCCESS)
      for (auto action : actions) add_resource(action["resource"].value());
  }
  resources += "]";
  // Every response type was exercised.
  for (const char* topic : {"coverage-info", "guideline", "therapy-alternatives-opt", "therapy-alternatives-req",
                            "clinical-reminder", "network"})
    BOOST_TEST(topics.count(topic) == 1u, topic);

  test::TempDir dir;
  const auto file = dir.path() / "emitted.json";
  std::ofstream(file) << resources;
  const auto validator = test::source_dir() / "tests/fhir-validator/validate.js";
  const auto output = run("node '" + validator.string() + "' '" + file.string() + "' 2>&1");
  test::Json report(output);
  BOOST_TEST(int64_t(report.root()["count"]) == int64_t(resource_count));
  BOOST_TEST(resource_count >= 12u);
  BOOST_TEST(bool(report.root()["valid"]), output);
}

BOOST_AUTO_TEST_CASE(CRD36_CRD38_CRD43_coverage_updates_questionnaires_and_us_core_answers_are_valid_fhir_r4) {
  // Acme with member records that disagree with the guide's Coverage (plan
  // platinum, an end date) and a form that ships its Questionnaire.
  test::TempDir rules;
  std::ofstream(rules.path() / "acme.json") << R"({"schema":"crdex-rules/1",
    "payer":{"id":"acme-health-plan","name":"Acme Health Plan","identifiedBy":{"references":["Organization/acme-payer"]}},
    "members":{"memberIdSystem":"http://example.org/fhir/memberidentifier","records":[
      {"memberId":"88800933501","coverages":[{"start":"2020-01-01","end":"2030-12-31","classes":[{"type":"plan","value":"platinum"}]}]},
      {"memberId":"55500012201","coverages":[{"start":"2024-01-01","classes":[{"type":"plan","value":"silver"}]}]}]},
    "defaultOutcome":{"covered":"covered","pa-needed":"no-auth","form":{"summary":"Complete the oxygen form",
      "label":"Oxygen CMN","questionnaire":"http://example.org/acme/Questionnaire/oxygen-cmn",
      "questionnaireResource":{"resourceType":"Questionnaire","url":"http://example.org/acme/Questionnaire/oxygen-cmn",
        "status":"active","item":[{"linkId":"1","text":"SpO2 at rest","type":"decimal"}]}}}})";
  test::ServerProcess server({}, rules.path().string());
  const auto ig_coverage = R"({"coverage":)" + test::ig_coverage_bundle() + "}";
  const std::vector<Call> acme_calls{
      {"crdex-order-sign", test::order_sign_request(test::service_request_entry("lab", test::kCpt, "80076"), ig_coverage)},
      {"crdex-encounter-start", R"({"hook":"encounter-start","hookInstance":"e1","context":{"userId":"Practitioner/1",
         "patientId":"123","encounterId":"987"},"prefetch":)" + ig_coverage + "}"},
      {"crdex-order-sign", test::read_fixture("us-core/order-sign-us-core-6.1.json")},
      {"crdex-order-sign", test::read_fixture("us-core/order-sign-us-core-7.0.json")}};
  std::string resources = "[";
  size_t count = 0;
  std::set<std::string> types;
  const auto add = [&](simdjson::dom::element resource) {
    types.insert(std::string(std::string_view(resource["resourceType"])));
    resources += (count++ ? "," : "") + test::minified(resource);
  };
  for (const auto& call : acme_calls) {
    const auto response = test::http_post(server.base_url() + "/cds-services/" + call.service, call.body);
    BOOST_TEST_REQUIRE(response.status == 200, call.service << ": " << response.body);
    test::Json answer(response.body);
    BOOST_TEST(test::empty_values(answer.root()).empty(), call.service);
    std::set<std::string> topics;
    for (auto card : answer.root()["cards"].get_array()) {
      check_card(card, topics);
      simdjson::dom::array suggestions;
      if (card["suggestions"].get(suggestions) != simdjson::SUCCESS) continue;
      for (auto suggestion : suggestions)
        for (auto action : suggestion["actions"].get_array()) add(action["resource"].value());
    }
    simdjson::dom::array actions;
    if (answer.root()["systemActions"].get(actions) == simdjson::SUCCESS)
      for (auto action : actions) add(action["resource"].value());
  }
  resources += "]";
  for (const char* type : {"Coverage", "Questionnaire", "Task", "ServiceRequest", "MedicationRequest"})
    BOOST_TEST(types.count(type) == 1u, type);
  test::TempDir dir;
  const auto file = dir.path() / "emitted.json";
  std::ofstream(file) << resources;
  const auto validator = test::source_dir() / "tests/fhir-validator/validate.js";
  const auto output = run("node '" + validator.string() + "' '" + file.string() + "' 2>&1");
  test::Json report(output);
  BOOST_TEST(int64_t(report.root()["count"]) == int64_t(count));
  BOOST_TEST(bool(report.root()["valid"]), output);
}

BOOST_AUTO_TEST_CASE(validator_rejects_an_invalid_resource) {
  // The check above can fail: the same validator refuses a bad status code.
  test::TempDir dir;
  const auto file = dir.path() / "bad.json";
  std::ofstream(file) << R"([{"resourceType":"ServiceRequest","id":"1","status":"signed","intent":"order",
                              "subject":{"reference":"Patient/1"}}])";
  const auto validator = test::source_dir() / "tests/fhir-validator/validate.js";
  test::Json report(run("node '" + validator.string() + "' '" + file.string() + "' 2>&1"));
  BOOST_TEST(!bool(report.root()["valid"]));
}

BOOST_AUTO_TEST_SUITE_END()
