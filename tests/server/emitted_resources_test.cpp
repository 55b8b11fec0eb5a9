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

const std::string kCpt = "http://www.ama-assn.org/go/cpt";
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
      {"crdex-order-sign", test::order_sign_request(test::service_request_entry("mri", kCpt, "72148") + R"(,{"resource":)" +
                                                        test::medication_request("rx", "1049502") + "}",
                                                    kBluestone)},
      {"crdex-order-sign", test::order_sign_request(test::service_request_entry("lab", kCpt, "80076"), ig_coverage)},
      {"crdex-order-select",
       test::replace_first(test::replace_first(test::order_sign_request(test::service_request_entry("pa", kCpt, "77061"),
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
