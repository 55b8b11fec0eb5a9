// crdex::cards: the cards a decision calls for (CRD-27, CRD-28, CRD-29, CRD-39).
#include <boost/test/unit_test.hpp>

#include "crdex/cards/card.hpp"
#include "crdex/config/rule_catalog.hpp"
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

}  // namespace

BOOST_AUTO_TEST_SUITE(cards_card)

BOOST_AUTO_TEST_CASE(CRD29_prior_auth_without_a_rule_card_gets_a_generated_card) {
  const auto payer = payer_named("Acme Health Plan");
  test::Json resource(R"({"code":{"coding":[{"system":"s","code":"1","display":"Lumbar spine MRI"}]}})");
  const auto order = cards::read_order("ServiceRequest", "42", resource.root());
  config::CoverageOutcome outcome;
  outcome.covered = "covered";
  outcome.pa_needed = "auth-needed";
  outcome.reasons.push_back({{}, "Imaging is reviewed for necessity."});
  const auto card = cards::card_for(payer, order, cards::synthesized_decision(outcome, "Coverage/C"));
  BOOST_TEST_REQUIRE(card.has_value());
  BOOST_TEST(card->summary == "Prior authorization required: Lumbar spine MRI");
  BOOST_TEST(card->source_label == "Acme Health Plan");
  BOOST_TEST(card->topic == "coverage-info");
  BOOST_TEST(card->indicator == "info");
  BOOST_TEST(card->detail.find("ServiceRequest/42") != std::string::npos);
  BOOST_TEST(card->detail.find("Imaging is reviewed for necessity.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(generated_summary_stays_under_140_characters) {
  const auto payer = payer_named("P");
  const std::string long_display(300, 'a');
  test::Json resource(R"({"code":{"coding":[{"system":"s","code":"1","display":")" + long_display + R"("}]}})");
  config::CoverageOutcome outcome;
  outcome.covered = "covered";
  outcome.pa_needed = "auth-needed";
  const auto card = cards::card_for(payer, cards::read_order("ServiceRequest", "1", resource.root()),
                                    cards::synthesized_decision(outcome, "Coverage/C"));
  BOOST_TEST_REQUIRE(card.has_value());
  BOOST_TEST(card->summary.size() < 140u);
}

BOOST_AUTO_TEST_CASE(no_card_when_nothing_needs_attention) {
  config::CoverageOutcome outcome;
  outcome.covered = "covered";
  outcome.pa_needed = "no-auth";
  test::Json resource(R"({})");
  BOOST_TEST(!cards::card_for(payer_named("P"), cards::read_order("ServiceRequest", "1", resource.root()),
                              cards::synthesized_decision(outcome, "Coverage/C"))
                  .has_value());
}

BOOST_AUTO_TEST_CASE(CRD27_CRD28_CRD39_written_card_has_uuid_topic_and_associated_resource) {
  config::CoverageOutcome outcome;
  outcome.covered = "covered";
  outcome.card = config::CardTemplate{"See the guideline", "", "info", "guideline",
                                      {{"Guideline", "https://payer.example.org/g"}}};
  test::Json resource(R"({"code":{"coding":[{"system":"s","code":"1","display":"Liver panel"}]}})");
  const auto card = cards::card_for(payer_named("Acme"), cards::read_order("ServiceRequest", "7", resource.root()),
                                    cards::synthesized_decision(outcome, "Coverage/C"));
  BOOST_TEST_REQUIRE(card.has_value());
  test::Json written(card_json(*card));
  const auto root = written.root();
  BOOST_TEST(std::string_view(root["uuid"]).size() == 36u);
  BOOST_TEST(std::string_view(root["source"]["label"]) == "Acme");
  BOOST_TEST(std::string_view(root["source"]["topic"]["system"]) ==
             "http://terminology.hl7.org/CodeSystem/cdshooks-card-type");
  BOOST_TEST(std::string_view(root["source"]["topic"]["code"]) == "guideline");
  BOOST_TEST(std::string_view(root["links"].at(0)["type"]) == "absolute");
  BOOST_TEST(std::string_view(root["extension"]["davinci-crd.associated-resource"].at(0)["reference"]) ==
             "ServiceRequest/7");
  BOOST_TEST(std::string_view(root["detail"]).find("Applies to: Liver panel") != std::string_view::npos);
  BOOST_TEST(test::empty_values(root).empty());
}

BOOST_AUTO_TEST_SUITE_END()
