// order-sign through the engine (no HTTP): the CRD guide's example request,
// context validation (HK-01), payer selection (CRD-22) and configuration (CRD-06).
#include <boost/test/unit_test.hpp>

#include "hooks/engine_fixture.hpp"
#include "support/requests.hpp"

using namespace crdex;

namespace {

constexpr const char* kOrderSignService = "crdex-order-sign";
const std::string kAcmePayor = R"([{"reference":"Organization/acme-payer","display":"Acme Health Plan"}])";

std::string prefetch_with_coverage(const std::string& coverage_value) {
  return R"({"patient":{"resourceType":"Patient","id":"123"},"coverage":)" + coverage_value + "}";
}

std::string acme_request(const std::string& entries, const std::string& extension = "") {
  return test::order_sign_request(entries, prefetch_with_coverage(test::coverage("C1", kAcmePayor)), extension);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hooks_order_sign, test::EngineFixture)

BOOST_AUTO_TEST_CASE(CH04_CRD11_CRD13_ig_example_gets_one_update_per_order) {
  const auto answer = call(kOrderSignService, test::read_fixture("crd-ig/CRDServiceRequest.json"));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto actions = answer.root()["systemActions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 2u);
  BOOST_TEST(std::string_view(actions.at(0)["resource"]["id"]) == "1357");
  BOOST_TEST(std::string_view(actions.at(1)["resource"]["id"]) == "2468");
  // 1357 is matched through its billing options (CPT 77061), 2468 by HCPCS E0431.
  BOOST_TEST(test::coverage_information_code(actions.at(0)["resource"].value(), "pa-needed") == "auth-needed");
  BOOST_TEST(test::coverage_information_code(actions.at(1)["resource"].value(), "covered") == "conditional");
  BOOST_TEST(test::coverage_information_code(actions.at(0)["resource"].value(), "coverage") ==
             R"({"reference":"Coverage/COV1"})");
  BOOST_TEST(test::empty_values(answer.root()).empty());
  // The example asks for at most 5 cards: two prior-authorization cards, then
  // the oxygen rule's purchase alternative and its companion oximetry order.
  auto cards = answer.root()["cards"].get_array().value();
  BOOST_TEST_REQUIRE(cards.size() == 4u);
  BOOST_TEST(std::string_view(cards.at(2)["source"]["topic"]["code"]) == "therapy-alternatives-opt");
  BOOST_TEST(std::string_view(cards.at(3)["source"]["topic"]["code"]) == "clinical-reminder");
}

BOOST_AUTO_TEST_CASE(CRD48_assertion_ids_are_distinct_per_order) {
  const auto answer = call(kOrderSignService, test::read_fixture("crd-ig/CRDServiceRequest.json"));
  auto actions = answer.root()["systemActions"].get_array().value();
  BOOST_TEST(test::coverage_information_code(actions.at(0)["resource"].value(), "coverage-assertion-id") !=
             test::coverage_information_code(actions.at(1)["resource"].value(), "coverage-assertion-id"));
}

BOOST_AUTO_TEST_CASE(CRD11_default_outcome_when_no_rule_matches) {
  const auto answer = call(kOrderSignService, acme_request(test::service_request_entry("x", test::kCpt, "99999")));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto resource = answer.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(resource, "covered") == "covered");
  BOOST_TEST(test::coverage_information_code(resource, "pa-needed") == "no-auth");
  BOOST_TEST(answer.root()["cards"].get_array().value().size() == 0u);
}

BOOST_AUTO_TEST_CASE(HK01_missing_required_context_fields_are_named) {
  // userId is tolerated when absent (issue 15; hooks_field_clients).
  for (const std::string field : {"patientId", "draftOrders"}) {
    auto body = acme_request(test::service_request_entry("x", test::kCpt, "77067"));
    const auto at = body.find("\"" + field + "\"");
    body.replace(at, field.size() + 2, "\"renamed\"");
    const auto answer = call(kOrderSignService, body);
    BOOST_TEST(answer.status == 400);
    BOOST_TEST(answer.expression() == "context." + field);
  }
}

BOOST_AUTO_TEST_CASE(HK01_encounter_id_is_optional) {
  auto body = acme_request(test::service_request_entry("x", test::kCpt, "77067"));
  const std::string encounter = R"("encounterId":"987",)";
  body.replace(body.find(encounter), encounter.size(), "");
  BOOST_TEST(call(kOrderSignService, body).status == 200);
}

BOOST_AUTO_TEST_CASE(orders_without_an_id_are_refused_by_path) {
  const auto answer = call(kOrderSignService, acme_request(R"({"resource":{"resourceType":"ServiceRequest"}})"));
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.expression() == "context.draftOrders.entry[0].resource.id");
}

BOOST_AUTO_TEST_CASE(HK06_pre_r4_order_types_are_refused) {
  const auto answer = call(kOrderSignService, acme_request(R"({"resource":{"resourceType":"ProcedureRequest","id":"p"}})"));
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.diagnostics().find("not a FHIR R4 order type") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(request_level_errors) {
  BOOST_TEST(call(kOrderSignService, "{not json").status == 400);
  BOOST_TEST(call(kOrderSignService, "[1,2]").status == 400);
  BOOST_TEST(call("no-such-service", "{}").status == 404);
  auto wrong_hook = acme_request(test::service_request_entry("x", test::kCpt, "77067"));
  wrong_hook.replace(wrong_hook.find("\"order-sign\""), 12, "\"order-select\"");
  const auto answer = call(kOrderSignService, wrong_hook);
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.expression() == "hook");
  auto no_instance = acme_request(test::service_request_entry("x", test::kCpt, "77067"));
  no_instance.replace(no_instance.find("\"hookInstance\""), 14, "\"hookinstance\"");
  BOOST_TEST(call(kOrderSignService, no_instance).expression() == "hookInstance");
}

BOOST_AUTO_TEST_CASE(CRD22_coverage_of_another_payer_is_refused) {
  const auto other = test::coverage("C9", R"([{"display":"Some Other Insurer"}])");
  const auto answer =
      call(kOrderSignService, test::order_sign_request(test::service_request_entry("x", test::kCpt, "77067"), prefetch_with_coverage(other)));
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.expression() == "prefetch.coverage");
  BOOST_TEST(answer.diagnostics().find("Some Other Insurer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CRD22_several_coverages_of_served_payers_are_ambiguous) {
  const auto bundle = R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":)" +
                      test::coverage("C1", kAcmePayor) + R"(},{"resource":)" +
                      test::coverage("C2", R"([{"display":"Bluestone Health"}])") + "}]}";
  const auto answer =
      call(kOrderSignService, test::order_sign_request(test::service_request_entry("x", test::kCpt, "77067"), prefetch_with_coverage(bundle)));
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.diagnostics().find("2 Coverages") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(coverage_of_a_served_payer_is_picked_from_several) {
  const auto bundle = R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":)" +
                      test::coverage("OTHER", R"([{"display":"Someone Else"}])") + R"(},{"resource":)" +
                      test::coverage("C2", R"([{"identifier":{"system":"http://example.org/payer-ids","value":"BLUESTONE"}}])") +
                      "}]}";
  const auto answer = call(kOrderSignService, test::order_sign_request(test::service_request_entry("x", test::kCpt, "72148"),
                                                              prefetch_with_coverage(bundle)));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto resource = answer.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(resource, "coverage") == R"({"reference":"Coverage/C2"})");
  BOOST_TEST(test::coverage_information_code(resource, "pa-needed") == "auth-needed");
  BOOST_TEST(std::string_view(answer.root()["cards"].at(0)["source"]["label"]) == "Bluestone Health");
}

BOOST_AUTO_TEST_CASE(CH17_CH19_missing_null_and_unobtainable_coverage) {
  const auto entry = test::service_request_entry("x", test::kCpt, "77067");
  // Absent key: crdex cannot fetch it (no Direct Query yet) -> 412.
  BOOST_TEST(call(kOrderSignService, test::order_sign_request(entry, R"({"patient":null})")).status == 412);
  BOOST_TEST(call(kOrderSignService, test::order_sign_request(entry, "")).status == 412);
  // The EHR says there is no Coverage -> 400 (CRD hook-13).
  BOOST_TEST(call(kOrderSignService, test::order_sign_request(entry, R"({"coverage":null})")).status == 400);
  const auto empty_bundle = prefetch_with_coverage(R"({"resourceType":"Bundle","type":"searchset","total":0})");
  BOOST_TEST(call(kOrderSignService, test::order_sign_request(entry, empty_bundle)).status == 400);
  // CH-18: the EHR could not prefetch it, and its fhirServer is plain http to a
  // non-loopback host, so crdex may not send the token there -> 412.
  const auto outcome = prefetch_with_coverage(
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]})");
  const auto refused = call(kOrderSignService, test::order_sign_request(entry, outcome));
  BOOST_TEST(refused.status == 412);
  BOOST_TEST(refused.diagnostics().find("plain http") != std::string::npos, refused.diagnostics());
}

BOOST_AUTO_TEST_CASE(medication_by_reference_is_read_from_prefetch_or_contained) {
  const std::string bluestone = test::coverage("C2", R"([{"display":"Bluestone Health"}])");
  const std::string by_reference = R"({"resource":{"resourceType":"MedicationRequest","id":"m1","status":"draft",
      "intent":"order","medicationReference":{"reference":"Medication/med1"},"subject":{"reference":"Patient/123"}}})";
  const std::string medications = R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":
      {"resourceType":"Medication","id":"med1","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm",
       "code":"1049502","display":"12 HR Oxycodone Hydrochloride 10 MG Extended Release Oral Tablet [OxyContin]"}]}}}]})";
  const auto answer = call(kOrderSignService, test::order_sign_request(
                                         by_reference, R"({"coverage":)" + bluestone + R"(,"medications":)" +
                                                           medications + "}"));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto resource = answer.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(resource, "covered") == "not-covered");
  BOOST_TEST(std::string_view(answer.root()["cards"].at(0)["detail"]).find("OxyContin") != std::string_view::npos);

  const std::string contained = R"({"resource":{"resourceType":"MedicationRequest","id":"m2","status":"draft",
      "contained":[{"resourceType":"Medication","id":"x","code":{"coding":[{"system":
        "http://www.nlm.nih.gov/research/umls/rxnorm","code":"1049502"}]}}],
      "intent":"order","medicationReference":{"reference":"#x"},"subject":{"reference":"Patient/123"}}})";
  const auto from_contained = call(kOrderSignService, test::order_sign_request(contained, R"({"coverage":)" + bluestone + "}"));
  BOOST_TEST(test::coverage_information_code(from_contained.root()["systemActions"].at(0)["resource"].value(),
                                             "covered") == "not-covered");
}

BOOST_AUTO_TEST_CASE(CRD19_order_whose_medication_is_unavailable_is_indeterminate_technical) {
  const std::string by_reference = R"({"resource":{"resourceType":"MedicationRequest","id":"m1","status":"draft",
      "intent":"order","medicationReference":{"reference":"Medication/unknown"},"subject":{"reference":"Patient/123"}}})";
  const auto answer = call(kOrderSignService, acme_request(by_reference + "," + test::service_request_entry("s", test::kCpt, "77061")));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto actions = answer.root()["systemActions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 2u);
  auto medication_request = actions.at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(medication_request, "covered") == "indeterminate");
  const auto reason = test::coverage_information_code(medication_request, "reason");
  BOOST_TEST(reason.find(R"("code":"technical")") != std::string::npos);
  BOOST_TEST(reason.find("Medication/unknown") != std::string::npos);
  // The other order still gets its answer.
  BOOST_TEST(test::coverage_information_code(actions.at(1)["resource"].value(), "pa-needed") == "auth-needed");
}

BOOST_AUTO_TEST_CASE(CRD21_inactive_coverage_is_not_covered_with_reason) {
  const auto cancelled = test::coverage("C1", kAcmePayor, "cancelled");
  const auto answer = call(kOrderSignService, test::order_sign_request(test::service_request_entry("x", test::kCpt, "77061"),
                                                              prefetch_with_coverage(cancelled)));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto resource = answer.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(resource, "covered") == "not-covered");
  BOOST_TEST(test::coverage_information_code(resource, "reason").find("no-active-coverage") != std::string::npos);
  BOOST_TEST(test::coverage_information_code(resource, "pa-needed").empty());
}

BOOST_AUTO_TEST_CASE(CRD06_configuration_is_honoured) {
  const auto entries = test::service_request_entry("a", test::kCpt, "77061") + "," +
                       test::service_request_entry("b", test::kCpt, "80076") + "," +
                       test::service_request_entry("c", test::kCpt, "72148");
  const auto all = call(kOrderSignService, acme_request(entries));
  BOOST_TEST_REQUIRE(all.status == 200);
  BOOST_TEST(all.root()["cards"].get_array().value().size() == 2u);

  const auto one = call(kOrderSignService, acme_request(entries, R"({"davinci-crd.configuration":{"max-cards":1}})"));
  BOOST_TEST_REQUIRE(one.root()["cards"].get_array().value().size() == 1u);
  BOOST_TEST(std::string_view(one.root()["cards"].at(0)["source"]["topic"]["code"]) == "coverage-info");

  const auto no_guidelines =
      call(kOrderSignService, acme_request(entries, R"({"davinci-crd.configuration":{"guideline":false}})"));
  BOOST_TEST(no_guidelines.root()["cards"].get_array().value().size() == 1u);

  const auto no_coverage_info =
      call(kOrderSignService, acme_request(entries, R"({"davinci-crd.configuration":{"coverage-info":false}})"));
  simdjson::dom::element actions;
  BOOST_TEST(no_coverage_info.root()["systemActions"].get(actions) != simdjson::SUCCESS);
  BOOST_TEST(test::empty_values(no_coverage_info.root()).empty());
}

BOOST_AUTO_TEST_CASE(CRD07_CRD08_CH21_unknown_or_odd_settings_and_extensions_are_ignored) {
  const auto entry = test::service_request_entry("a", test::kCpt, "77061");
  const auto plain = call(kOrderSignService, acme_request(entry));
  const auto odd = call(kOrderSignService, acme_request(entry, R"({"org.example.x":{"y":1},"davinci-crd.configuration":
      {"foo":true,"max-cards":"five","coverage-info":"yes","guideline":false}})"));
  BOOST_TEST_REQUIRE(odd.status == 200);
  BOOST_TEST(odd.root()["cards"].get_array().value().size() == plain.root()["cards"].get_array().value().size());
  BOOST_TEST(odd.root()["systemActions"].get_array().value().size() == 1u);
}

BOOST_AUTO_TEST_CASE(CRD13_resent_order_with_the_same_coverage_information_gets_no_update) {
  const auto first = call(kOrderSignService, acme_request(test::service_request_entry("a", test::kCpt, "77067")));
  BOOST_TEST_REQUIRE(first.status == 200);
  // The EHR applied the update and signs the order again, unchanged.
  const auto updated = test::minified(first.root()["systemActions"].at(0)["resource"].value());
  const auto again = call(kOrderSignService, acme_request(R"({"resource":)" + updated + "}"));
  BOOST_TEST_REQUIRE(again.status == 200, again.text);
  simdjson::dom::element actions;
  BOOST_TEST(again.root()["systemActions"].get(actions) != simdjson::SUCCESS);
  // If the payer now says something else, the update comes back.
  auto changed = updated;
  changed.replace(changed.find(R"("valueCode":"no-auth")"), 21, R"("valueCode":"auth-needed")");
  const auto differs = call(kOrderSignService, acme_request(R"({"resource":)" + changed + "}"));
  BOOST_TEST(differs.root()["systemActions"].get_array().value().size() == 1u);
}

BOOST_AUTO_TEST_CASE(duplicate_orders_get_one_update) {
  const auto entry = test::service_request_entry("a", test::kCpt, "77061");
  const auto answer = call(kOrderSignService, acme_request(entry + "," + entry));
  BOOST_TEST(answer.root()["systemActions"].get_array().value().size() == 1u);
}

BOOST_AUTO_TEST_CASE(non_order_resources_in_draft_orders_are_ignored) {
  const auto answer = call(kOrderSignService, acme_request(R"({"resource":{"resourceType":"Medication","id":"m"}},)" +
                                                 test::service_request_entry("a", test::kCpt, "77061")));
  BOOST_TEST_REQUIRE(answer.status == 200);
  BOOST_TEST(answer.root()["systemActions"].get_array().value().size() == 1u);
}

BOOST_AUTO_TEST_CASE(replaced_rules_take_effect_for_the_next_call) {
  const auto body = acme_request(test::service_request_entry("a", test::kCpt, "99999"));
  BOOST_TEST(test::coverage_information_code(call(kOrderSignService, body).root()["systemActions"].at(0)["resource"].value(),
                                             "pa-needed") == "no-auth");
  auto set = config::parse_rule_set(R"({"schema":"crdex-rules/1","payer":{"id":"acme","name":"Acme Health Plan",
      "identifiedBy":{"references":["Organization/acme-payer"]}},
      "defaultOutcome":{"covered":"covered","pa-needed":"auth-needed"}})",
                                    "replacement.json");
  BOOST_TEST_REQUIRE(set.ok());
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(std::move(set).value());
  engine.replace_rules(config::RuleCatalog::build(std::move(sets)).value());
  BOOST_TEST(test::coverage_information_code(call(kOrderSignService, body).root()["systemActions"].at(0)["resource"].value(),
                                             "pa-needed") == "auth-needed");
}

// CRD found-35 / dev-14: with unsolicited determinations switched off, a
// rule's "satisfied" prior authorization is not asserted (no satisfied-pa-id).
BOOST_AUTO_TEST_CASE(CRD40_what_if_call_without_unsolicited_determinations_gets_no_satisfied_pa_id) {
  auto set = config::parse_rule_set(R"({"schema":"crdex-rules/1","payer":{"id":"acme","name":"Acme Health Plan",
      "identifiedBy":{"references":["Organization/acme-payer"]}},
      "defaultOutcome":{"covered":"covered","pa-needed":"satisfied","satisfied-pa-id":"PA-123"}})",
                                    "satisfied.json");
  BOOST_TEST_REQUIRE(set.ok());
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(std::move(set).value());
  engine.replace_rules(config::RuleCatalog::build(std::move(sets)).value());
  const auto entry = test::service_request_entry("a", test::kCpt, "99999");

  const auto solicited = call(kOrderSignService, acme_request(entry));
  const auto resource = solicited.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(test::coverage_information_code(resource, "pa-needed") == "satisfied");
  BOOST_TEST(solicited.text.find("PA-123") != std::string::npos);

  const auto what_if =
      call(kOrderSignService, acme_request(entry, R"({"davinci-crd.configuration":{"unsolicited-determ":false}})"));
  BOOST_TEST_REQUIRE(what_if.status == 200, what_if.text);
  BOOST_TEST(test::coverage_information_code(what_if.root()["systemActions"].at(0)["resource"].value(),
                                             "pa-needed") == "auth-needed");
  BOOST_TEST(what_if.text.find("PA-123") == std::string::npos, what_if.text);
  BOOST_TEST(what_if.text.find("satisfied-pa-id") == std::string::npos);
}

// crdex-server's event threads ask with may_query false: a call that would
// query the EHR stops before it does (needs_query); any other is answered
// as usual, with the fields the audit log searches by.
BOOST_AUTO_TEST_CASE(without_queries_a_call_needing_the_ehr_stops_and_any_other_is_answered) {
  const std::string guide = test::read_fixture("crd-ig/CRDServiceRequest.json");
  std::string https = guide;
  const std::string plain_url = "http://example.org/some-payer/fhir/crd";
  https.replace(https.find(plain_url), plain_url.size(), "https://ehr.example.org/fhir");
  // No prefetch at all: every key would be fetched with the request's token.
  std::string lacking = https;
  lacking.replace(lacking.find("\"prefetch\""), 10, "\"prefetcX\"");

  const auto stopped = engine.call_service(kOrderSignService, lacking, {}, false);
  BOOST_TEST(stopped.needs_query);
  BOOST_TEST(stopped.body.empty());

  // The guide's own plain-http fhirServer is one crdex never queries: answered.
  const auto answered = engine.call_service(kOrderSignService, guide, {}, false);
  BOOST_TEST(!answered.needs_query);
  BOOST_TEST_REQUIRE(answered.status == 200, answered.body);
  const auto as_usual = engine.call_service(kOrderSignService, guide, {}, true);
  BOOST_TEST(as_usual.status == 200);
  BOOST_TEST(answered.body.size() == as_usual.body.size());
  BOOST_TEST(answered.cards.size() == as_usual.cards.size());
  BOOST_TEST(answered.hook == "order-sign");
  BOOST_TEST(!answered.hook_instance.empty());
  BOOST_TEST(answered.patient_id == as_usual.patient_id);
  BOOST_TEST(!answered.patient_id.empty());

  // A refusal is answered too, without needs_query.
  const auto refused = engine.call_service(kOrderSignService, R"({"hook":"order-sign"})", {}, false);
  BOOST_TEST(!refused.needs_query);
  BOOST_TEST(refused.status == 400);
}

BOOST_AUTO_TEST_SUITE_END()
