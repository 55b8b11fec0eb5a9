// crdex::cards: the cards a decision calls for, one test per CRD response type
// (CRD-27..CRD-39).
#include <boost/test/unit_test.hpp>

#include "crdex/cards/card.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;

namespace {

std::string card_json(const cards::Card& card) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  cards::write_card(w, card);
  return {buffer.GetString(), buffer.GetSize()};
}

config::PayerRuleSet payer_named(const std::string& name) {
  config::PayerRuleSet payer;
  payer.payer_id = "p";
  payer.payer_name = name;
  return payer;
}

config::CoverageOutcome covered() {
  config::CoverageOutcome outcome;
  outcome.covered = "covered";
  return outcome;
}

// The cards for one outcome on the guide's order 2468 (portable oxygen rental).
struct OxygenOrder {
  test::Json request{test::read_fixture("crd-ig/CRDServiceRequest.json")};
  simdjson::dom::element resource = request.root()["context"]["draftOrders"]["entry"].at(1)["resource"].value();
  cards::OrderUnderReview order = cards::read_order("ServiceRequest", "2468", resource);
  config::PayerRuleSet payer = payer_named("Acme Health Plan");

  std::vector<cards::Card> cards_for(config::CoverageOutcome outcome) const {
    return cards::cards_for(payer, order, cards::synthesized_decision(std::move(outcome), "Coverage/C"));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cards_card)

BOOST_AUTO_TEST_CASE(CRD29_prior_auth_without_a_rule_card_gets_a_generated_card) {
  const auto payer = payer_named("Acme Health Plan");
  test::Json resource(R"({"code":{"coding":[{"system":"s","code":"1","display":"Lumbar spine MRI"}]}})");
  const auto order = cards::read_order("ServiceRequest", "42", resource.root());
  auto outcome = covered();
  outcome.pa_needed = "auth-needed";
  outcome.reasons.push_back({{}, "Imaging is reviewed for necessity."});
  const auto cards = cards::cards_for(payer, order, cards::synthesized_decision(outcome, "Coverage/C"));
  BOOST_TEST_REQUIRE(cards.size() == 1u);
  const auto& card = cards.front();
  BOOST_TEST(card.summary == "Prior authorization required: Lumbar spine MRI");
  BOOST_TEST(card.source_label == "Acme Health Plan");
  BOOST_TEST(card.topic == "coverage-info");
  BOOST_TEST(card.indicator == "info");
  BOOST_TEST(card.detail.find("ServiceRequest/42") != std::string::npos);
  BOOST_TEST(card.detail.find("Imaging is reviewed for necessity.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(generated_summary_stays_under_140_characters) {
  const std::string long_display(300, 'a');
  test::Json resource(R"({"code":{"coding":[{"system":"s","code":"1","display":")" + long_display + R"("}]}})");
  auto outcome = covered();
  outcome.pa_needed = "auth-needed";
  const auto cards = cards::cards_for(payer_named("P"), cards::read_order("ServiceRequest", "1", resource.root()),
                                      cards::synthesized_decision(outcome, "Coverage/C"));
  BOOST_TEST_REQUIRE(cards.size() == 1u);
  BOOST_TEST(cards.front().summary.size() < 140u);
}

BOOST_AUTO_TEST_CASE(no_card_when_nothing_needs_attention) {
  auto outcome = covered();
  outcome.pa_needed = "no-auth";
  test::Json resource(R"({})");
  BOOST_TEST(cards::cards_for(payer_named("P"), cards::read_order("ServiceRequest", "1", resource.root()),
                              cards::synthesized_decision(outcome, "Coverage/C"))
                 .empty());
}

BOOST_AUTO_TEST_CASE(CRD27_CRD28_CRD31_CRD39_external_reference_card) {
  auto outcome = covered();
  outcome.card = config::CardTemplate{"See the guideline", "", "info", "guideline",
                                      {{"Guideline", "https://payer.example.org/g"}}};
  test::Json resource(R"({"code":{"coding":[{"system":"s","code":"1","display":"Liver panel"}]}})");
  const auto cards = cards::cards_for(payer_named("Acme"), cards::read_order("ServiceRequest", "7", resource.root()),
                                      cards::synthesized_decision(outcome, "Coverage/C"));
  BOOST_TEST_REQUIRE(cards.size() == 1u);
  test::Json written(card_json(cards.front()));
  const auto root = written.root();
  BOOST_TEST(std::string_view(root["uuid"]).size() == 36u);
  BOOST_TEST(std::string_view(root["source"]["label"]) == "Acme");
  BOOST_TEST(std::string_view(root["source"]["topic"]["system"]) ==
             "http://terminology.hl7.org/CodeSystem/cdshooks-card-type");
  BOOST_TEST(std::string_view(root["source"]["topic"]["code"]) == "guideline");
  BOOST_TEST(std::string_view(root["links"].at(0)["type"]) == "absolute");
  simdjson::dom::element none;
  BOOST_TEST(root["links"].at(0)["appContext"].get(none) != simdjson::SUCCESS);
  BOOST_TEST(root["suggestions"].get(none) != simdjson::SUCCESS);
  BOOST_TEST(std::string_view(root["extension"]["davinci-crd.associated-resource"].at(0)["reference"]) ==
             "ServiceRequest/7");
  BOOST_TEST(std::string_view(root["detail"]).find("Applies to: Liver panel") != std::string_view::npos);
  BOOST_TEST(test::empty_values(root).empty());
}

BOOST_AUTO_TEST_CASE(CRD32_instructions_card_has_detail_and_no_links_or_suggestions) {
  OxygenOrder oxygen;
  auto outcome = covered();
  outcome.card = config::CardTemplate{"Bring the saturation test", "Attach a recent SpO2.", "info", "claim", {}};
  const auto cards = oxygen.cards_for(outcome);
  BOOST_TEST_REQUIRE(cards.size() == 1u);
  test::Json written(card_json(cards.front()));
  simdjson::dom::element none;
  BOOST_TEST(!std::string_view(written.root()["detail"]).empty());
  BOOST_TEST(written.root()["links"].get(none) != simdjson::SUCCESS);
  BOOST_TEST(written.root()["suggestions"].get(none) != simdjson::SUCCESS);
}

BOOST_AUTO_TEST_CASE(CRD33_alternate_request_is_one_update_per_suggestion_changing_only_the_code) {
  OxygenOrder oxygen;
  auto outcome = covered();
  outcome.alternatives = config::AlternativesTemplate{
      "Purchase instead of rental", "", "info", "therapy-alternatives-opt",
      {{"Purchase the portable oxygen system",
        {"https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "E0430", "Portable gaseous oxygen, purchase"}}}};
  const auto cards = oxygen.cards_for(outcome);
  BOOST_TEST_REQUIRE(cards.size() == 1u);
  test::Json written(card_json(cards.front()));
  const auto root = written.root();
  BOOST_TEST(std::string_view(root["selectionBehavior"]) == "at-most-one");
  BOOST_TEST(std::string_view(root["source"]["topic"]["code"]) == "therapy-alternatives-opt");
  auto suggestion = root["suggestions"].at(0).value();
  BOOST_TEST(std::string_view(suggestion["uuid"]).size() == 36u);
  auto actions = suggestion["actions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 1u);
  BOOST_TEST(std::string_view(actions.at(0)["type"]) == "update");
  auto updated = actions.at(0)["resource"].value();
  BOOST_TEST(std::string_view(updated["code"]["coding"].at(0)["code"]) == "E0430");
  for (auto field : oxygen.resource.get_object())
    if (field.key != "code")
      BOOST_TEST(test::minified(updated[field.key].value()) == test::minified(field.value), field.key);
  BOOST_TEST(test::empty_values(root).empty());
}

BOOST_AUTO_TEST_CASE(alternate_request_is_not_offered_for_orders_it_cannot_recode) {
  test::Json resource(R"({"resourceType":"NutritionOrder","id":"n"})");
  auto outcome = covered();
  outcome.alternatives = config::AlternativesTemplate{"s", "", "info", "therapy-alternatives-req", {{"x", {"s", "c", ""}}}};
  BOOST_TEST(cards::cards_for(payer_named("P"), cards::read_order("NutritionOrder", "n", resource.root()),
                              cards::synthesized_decision(outcome, "Coverage/C"))
                 .empty());
}

BOOST_AUTO_TEST_CASE(CRD34_additional_orders_are_create_actions_for_the_same_patient) {
  OxygenOrder oxygen;
  auto outcome = covered();
  outcome.companions = config::CompanionsTemplate{
      "Oxygen saturation test needed", "", "info", "clinical-reminder",
      {{"Overnight oximetry", "ServiceRequest", {"http://www.ama-assn.org/go/cpt", "94762", ""}},
       {"Oxygen concentrator", "DeviceRequest", {"https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "E1390", ""}}}};
  const auto cards = oxygen.cards_for(outcome);
  BOOST_TEST_REQUIRE(cards.size() == 1u);
  test::Json written(card_json(cards.front()));
  const auto root = written.root();
  BOOST_TEST(std::string_view(root["selectionBehavior"]) == "any");
  auto suggestions = root["suggestions"].get_array().value();
  BOOST_TEST_REQUIRE(suggestions.size() == 2u);
  auto created = suggestions.at(0)["actions"].at(0).value();
  BOOST_TEST(std::string_view(created["type"]) == "create");
  BOOST_TEST(std::string_view(created["resource"]["resourceType"]) == "ServiceRequest");
  BOOST_TEST(std::string_view(created["resource"]["status"]) == "draft");
  BOOST_TEST(test::minified(created["resource"]["subject"].value()) == test::minified(oxygen.resource["subject"].value()));
  simdjson::dom::element none;
  BOOST_TEST(created["resourceId"].get(none) != simdjson::SUCCESS);
  auto device = suggestions.at(1)["actions"].at(0)["resource"].value();
  BOOST_TEST(std::string_view(device["codeCodeableConcept"]["coding"].at(0)["code"]) == "E1390");
  BOOST_TEST(test::empty_values(root).empty());
}

BOOST_AUTO_TEST_CASE(CRD35_form_completion_creates_a_crd_questionnaire_task) {
  OxygenOrder oxygen;
  auto outcome = covered();
  outcome.form = config::FormTemplate{"Complete the oxygen certificate", "", "info", "coverage-info",
                                      "Home oxygen certificate of medical necessity",
                                      "http://example.org/Questionnaire/oxygen-cmn", "initial-claim-include", {}, {}};
  const auto cards = oxygen.cards_for(outcome);
  BOOST_TEST_REQUIRE(cards.size() == 1u);
  test::Json written(card_json(cards.front()));
  auto task = written.root()["suggestions"].at(0)["actions"].at(0)["resource"].value();
  BOOST_TEST(std::string_view(task["resourceType"]) == "Task");
  BOOST_TEST(std::string_view(task["meta"]["profile"].at(0)) ==
             "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/profile-taskquestionnaire");
  BOOST_TEST(std::string_view(task["status"]) == "ready");
  BOOST_TEST(std::string_view(task["intent"]) == "order");
  BOOST_TEST(std::string_view(task["code"]["coding"].at(0)["code"]) == "complete-questionnaire");
  BOOST_TEST(std::string_view(task["basedOn"].at(0)["reference"]) == "ServiceRequest/2468");
  BOOST_TEST(std::string_view(task["requester"]["display"]) == "Acme Health Plan");
  BOOST_TEST(std::string_view(task["input"].at(0)["valueCanonical"]) == "http://example.org/Questionnaire/oxygen-cmn");
  BOOST_TEST(std::string_view(task["input"].at(1)["valueCodeableConcept"]["coding"].at(0)["code"]) ==
             "initial-claim-include");
  BOOST_TEST(!std::string_view(task["authoredOn"]).empty());
  BOOST_TEST(test::minified(task["for"].value()) == test::minified(oxygen.resource["subject"].value()));
}

BOOST_AUTO_TEST_CASE(CRD37_smart_app_card_links_with_app_context) {
  OxygenOrder oxygen;
  auto outcome = covered();
  outcome.smart_app = config::SmartAppTemplate{"Check oxygen supplier network", "", "info", "network",
                                               "Supplier finder", "https://apps.payer.example.org/suppliers",
                                               "order=ServiceRequest/2468"};
  const auto cards = oxygen.cards_for(outcome);
  BOOST_TEST_REQUIRE(cards.size() == 1u);
  test::Json written(card_json(cards.front()));
  auto link = written.root()["links"].at(0).value();
  BOOST_TEST(std::string_view(link["type"]) == "smart");
  BOOST_TEST(std::string_view(link["appContext"]) == "order=ServiceRequest/2468");
}

BOOST_AUTO_TEST_CASE(one_outcome_can_call_for_several_cards_in_a_fixed_order) {
  OxygenOrder oxygen;
  auto outcome = covered();
  outcome.pa_needed = "auth-needed";
  outcome.smart_app = config::SmartAppTemplate{"App", "", "info", "coverage-info", "Open", "https://a.example.org", ""};
  outcome.alternatives = config::AlternativesTemplate{"Alt", "", "info", "therapy-alternatives-opt",
                                                      {{"Buy", {"s", "E0430", ""}}}};
  const auto cards = oxygen.cards_for(outcome);
  BOOST_TEST_REQUIRE(cards.size() == 3u);
  BOOST_TEST(cards[0].summary.starts_with("Prior authorization required"));
  BOOST_TEST(cards[1].topic == "therapy-alternatives-opt");
  BOOST_TEST(cards[2].links.at(0).type == "smart");
}

BOOST_AUTO_TEST_SUITE_END()
