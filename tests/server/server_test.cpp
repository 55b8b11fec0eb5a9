// The real crdex-server over HTTP: discovery and the CRD guide's examples
// (CH-01, CH-04, CH-06, CRD-11, CRD-13, CRD-14).
#include <boost/test/unit_test.hpp>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {
struct RunningServer {
  test::ServerProcess server{{"--max-body-bytes", "65536"}};
  std::string url(const std::string& path) const { return server.base_url() + path; }

  // Posts a CRD guide example that has no prefetch, with the guide's Coverage
  // added, and returns the resource of the first system action.
  test::Json updated_resource(const std::string& fixture, const std::string& service) const {
    const auto body =
        test::with_prefetch(test::read_fixture(fixture), R"({"coverage":)" + test::ig_coverage_bundle() + "}");
    const auto response = test::http_post(url("/cds-services/" + service), body);
    BOOST_TEST_REQUIRE(response.status == 200, response.body);
    test::Json answer(response.body);
    return test::Json(test::minified(answer.root()["systemActions"].at(0)["resource"].value()));
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(server_http, RunningServer)

BOOST_AUTO_TEST_CASE(ready_line_names_the_chosen_port) {
  BOOST_TEST(server.first_stdout_line().starts_with("crdex-server listening on http://127.0.0.1:"));
  BOOST_TEST(!server.base_url().ends_with(":0"));
}

BOOST_AUTO_TEST_CASE(CH01_discovery_is_json_with_services) {
  const auto response = test::http_get(url("/cds-services"));
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.header("content-type").starts_with("application/json"));
  test::Json discovery(response.body);
  BOOST_TEST(discovery.root()["services"].get_array().value().size() == 6u);
}

BOOST_AUTO_TEST_CASE(CH04_CH06_ig_order_sign_example_gets_coverage_information) {
  const auto original_text = test::read_fixture("crd-ig/CRDServiceRequest.json");
  const auto response = test::http_post(url("/cds-services/crdex-order-sign"), original_text);
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  BOOST_TEST(response.header("content-type").starts_with("application/json"));
  test::Json answer(response.body);
  test::Json original(original_text);
  auto actions = answer.root()["systemActions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 2u);
  auto orders = original.root()["context"]["draftOrders"]["entry"].get_array().value();
  for (size_t i = 0; i < 2; ++i) {
    auto updated = actions.at(i)["resource"].value();
    auto before = orders.at(i)["resource"].value();
    for (auto field : before.get_object())
      BOOST_TEST(test::minified(updated[field.key].value()) == test::minified(field.value), field.key);
    BOOST_TEST(std::string_view(updated["extension"].at(0)["url"]) ==
               "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information");
  }
  // 1357 (contrast mammography) needs prior authorization: the card says so.
  BOOST_TEST(test::coverage_information_code(actions.at(0)["resource"].value(), "pa-needed") == "auth-needed");
  bool pa_card = false;
  for (auto card : answer.root()["cards"].get_array()) {
    const std::string_view summary = card["summary"];
    if (summary.find("Prior authorization") != std::string_view::npos) pa_card = true;
    BOOST_TEST(std::string_view(card["source"]["label"]) == "Acme Health Plan");
  }
  BOOST_TEST(pa_card);
  BOOST_TEST(test::empty_values(answer.root()).empty());
}

BOOST_AUTO_TEST_CASE(fhir_json_media_type_is_accepted) {
  const auto response = test::http_post(url("/cds-services/crdex-order-sign"),
                                        test::read_fixture("crd-ig/CRDServiceRequest.json"),
                                        "application/fhir+json; charset=utf-8");
  BOOST_TEST(response.status == 200);
}

BOOST_AUTO_TEST_CASE(HK04_ig_appointment_book_example_with_coverage) {
  const auto resource = updated_resource("crd-ig/CRDServiceRequest4.json", "crdex-appointment-book");
  BOOST_TEST(std::string_view(resource.root()["resourceType"]) == "Appointment");
  BOOST_TEST(test::coverage_information_code(resource.root(), "covered") == "covered");
}

BOOST_AUTO_TEST_CASE(ig_communication_request_example_gets_the_default_outcome) {
  const auto resource = updated_resource("crd-ig/CRDServiceRequest3.json", "crdex-order-sign");
  BOOST_TEST(std::string_view(resource.root()["resourceType"]) == "CommunicationRequest");
  BOOST_TEST(test::coverage_information_code(resource.root(), "pa-needed") == "no-auth");
}

BOOST_AUTO_TEST_CASE(keep_alive_connection_serves_many_calls) {
  const auto body = test::read_fixture("crd-ig/CRDServiceRequest.json");
  for (int i = 0; i < 20; ++i)
    BOOST_TEST_REQUIRE(test::http_post(url("/cds-services/crdex-order-sign"), body).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
