// The other four CRD hooks through the engine: order-select (HK-02, CRD-26),
// order-dispatch (HK-03), encounter-start / encounter-discharge (HK-05), and
// the CRD version a client asks for (CRD-09).
#include <boost/test/unit_test.hpp>

#include "hooks/engine_fixture.hpp"
#include "support/requests.hpp"

using namespace crdex;

namespace {


using test::replace_first;

// order-select over two draft orders (contrast mammography 77061, screening 77067).
std::string order_select_request(const std::string& selections) {
  auto body = test::order_sign_request(test::service_request_entry("pa", test::kCpt, "77061") + "," +
                                           test::service_request_entry("screen", test::kCpt, "77067"),
                                       R"({"coverage":)" + test::ig_coverage_bundle() + "}");
  body = replace_first(body, "\"order-sign\"", "\"order-select\"");
  return replace_first(body, "\"draftOrders\"", "\"selections\":" + selections + ",\"draftOrders\"");
}

std::string encounter_request(const std::string& hook, const std::string& prefetch_extra) {
  return R"({"hook":")" + hook + R"(","hookInstance":"e1","fhirServer":"http://ehr.example.org/fhir",
    "context":{"userId":"Practitioner/1","patientId":"123","encounterId":"987"},
    "prefetch":{"coverage":)" + test::ig_coverage_bundle() + prefetch_extra + "}}";
}

const std::string kEncounter = R"(,"encounter":{"resourceType":"Encounter","id":"987","status":"planned",
    "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
    "subject":{"reference":"Patient/123"}})";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hooks_crd_hooks, test::EngineFixture)

BOOST_AUTO_TEST_CASE(HK02_order_select_assesses_only_the_selections) {
  const auto answer = call("crdex-order-select", order_select_request(R"(["ServiceRequest/pa"])"));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto actions = answer.root()["systemActions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 1u);
  BOOST_TEST(std::string_view(actions.at(0)["resource"]["id"]) == "pa");
}

BOOST_AUTO_TEST_CASE(HK02_selection_outside_draft_orders_is_refused) {
  const auto answer = call("crdex-order-select", order_select_request(R"(["ServiceRequest/elsewhere"])"));
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.expression() == "context.selections[0]");
  BOOST_TEST(call("crdex-order-select", order_select_request("[]")).status == 400);
}

BOOST_AUTO_TEST_CASE(CRD26_secondary_hook_never_asks_for_clinical_documentation) {
  // The contrast-mammography rule asks for clinical notes and a questionnaire at signing.
  const auto sign = call("crdex-order-sign",
                         test::order_sign_request(test::service_request_entry("pa", test::kCpt, "77061"),
                                                  R"({"coverage":)" + test::ig_coverage_bundle() + "}"));
  auto signed_order = sign.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(signed_order, "doc-needed") == "clinical");

  const auto select = call("crdex-order-select", order_select_request(R"(["ServiceRequest/pa"])"));
  BOOST_TEST_REQUIRE(select.status == 200, select.text);
  auto selected = select.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(selected, "pa-needed") == "auth-needed");
  BOOST_TEST(test::coverage_information_code(selected, "doc-needed").empty());
  BOOST_TEST(test::coverage_information_code(selected, "questionnaire").empty());
  BOOST_TEST(test::coverage_information_code(selected, "doc-purpose").empty());
}

BOOST_AUTO_TEST_CASE(HK03_order_dispatch_updates_the_dispatched_orders) {
  const auto answer = call("crdex-order-dispatch", test::order_dispatch_request());
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto actions = answer.root()["systemActions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 2u);
  BOOST_TEST(std::string_view(actions.at(0)["resource"]["id"]) == "1111");
  BOOST_TEST(test::coverage_information_code(actions.at(0)["resource"].value(), "covered") == "covered");
  BOOST_TEST(test::empty_values(answer.root()).empty());
}

BOOST_AUTO_TEST_CASE(HK03_ig_order_dispatch_example_without_the_orders_is_412) {
  const auto answer = call("crdex-order-dispatch", test::read_fixture("crd-ig/CRDServiceRequest2.json"));
  BOOST_TEST(answer.status == 412);
  BOOST_TEST(answer.expression() == "context.dispatchedOrders[0]");
}

BOOST_AUTO_TEST_CASE(HK03_order_dispatch_context_is_checked) {
  BOOST_TEST(call("crdex-order-dispatch", replace_first(test::order_dispatch_request(), "\"performer\"", "\"x\""))
                 .expression() == "context.performer");
  const auto unlinked = replace_first(test::order_dispatch_request(), "MedicationRequest/1111\"\n", "MedicationRequest/9\"\n");
  const auto answer = call("crdex-order-dispatch", unlinked);
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.expression() == "context.fulfillmentTasks[0]");
  const auto not_an_order = replace_first(test::order_dispatch_request(), "\"MedicationRequest/2222\"", "\"Patient/123\"");
  BOOST_TEST(call("crdex-order-dispatch", not_an_order).expression() == "context.dispatchedOrders[1]");
}

BOOST_AUTO_TEST_CASE(HK05_encounter_hooks_update_the_encounter) {
  for (const std::string hook : {"encounter-start", "encounter-discharge"}) {
    const auto answer = call("crdex-" + hook, encounter_request(hook, kEncounter));
    BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
    auto resource = answer.root()["systemActions"].at(0)["resource"].value();
    BOOST_TEST(std::string_view(resource["resourceType"]) == "Encounter");
    BOOST_TEST(test::coverage_information_code(resource, "covered") == "covered");
  }
}

BOOST_AUTO_TEST_CASE(HK05_encounter_hooks_without_the_encounter_answer_cards_only) {
  const auto answer = call("crdex-encounter-start", encounter_request("encounter-start", ""));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  simdjson::dom::element actions;
  BOOST_TEST(answer.root()["systemActions"].get(actions) != simdjson::SUCCESS);
  BOOST_TEST(answer.root()["cards"].get_array().value().size() == 0u);
}

BOOST_AUTO_TEST_CASE(HK05_encounter_id_is_required) {
  const auto body = replace_first(encounter_request("encounter-discharge", kEncounter), "\"encounterId\"", "\"x\"");
  const auto answer = call("crdex-encounter-discharge", body);
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.expression() == "context.encounterId");
}

BOOST_AUTO_TEST_CASE(CRD09_requested_version_must_be_supported) {
  const auto body = test::read_fixture("crd-ig/CRDServiceRequest.json");
  BOOST_TEST(call("crdex-order-sign", body).status == 200);
  const auto old_version =
      replace_first(body, "\"davinci-crd.requestedVersion\": \"2.2\"", "\"davinci-crd.requestedVersion\": \"2.1\"");
  const auto answer = call("crdex-order-sign", old_version);
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.diagnostics().find("supported versions: 2.2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CRD43_conf2_us_core_6_1_and_7_0_shaped_data_get_coverage_information) {
  for (const std::string version : {"6.1", "7.0"}) {
    const auto body = test::read_fixture("us-core/order-sign-us-core-" + version + ".json");
    const auto answer = call("crdex-order-sign", body);
    BOOST_TEST_REQUIRE(answer.status == 200, version + ": " + answer.text);
    test::Json request(body);
    auto entries = request.root()["context"]["draftOrders"]["entry"].get_array().value();
    auto actions = answer.root()["systemActions"].get_array().value();
    BOOST_TEST_REQUIRE(actions.size() == entries.size(), version);
    for (size_t i = 0; i < entries.size(); ++i) {
      auto sent = entries.at(i)["resource"].value();
      auto updated = actions.at(i)["resource"].value();
      // Only the coverage-information extension was added (CRD resp-37).
      for (auto field : sent.get_object())
        BOOST_TEST(test::minified(updated[field.key].value()) == test::minified(field.value), version + " " + std::string(field.key));
      BOOST_TEST(std::string_view(updated["extension"].at(0)["extension"].at(0)["valueReference"]["reference"]) ==
                 "Coverage/uc-cov");
    }
    // The contrast mammography needs authorization; the US Core 6.1/7.0 medication is covered.
    BOOST_TEST(test::coverage_information_code(actions.at(0)["resource"].value(), "pa-needed") == "auth-needed", version);
    BOOST_TEST(test::coverage_information_code(actions.at(1)["resource"].value(), "covered") == "covered", version);
    BOOST_TEST(test::empty_values(answer.root()).empty(), version);
  }
}

BOOST_AUTO_TEST_SUITE_END()
