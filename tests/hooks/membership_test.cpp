// What only the payer knows, through the engine: member records give
// no-member-found (CRD-20, resp-44), no-active-coverage / coverage-not-found
// (CRD-21, resp-45) and Update Coverage Records (CRD-38, resp-70); the
// PA-portal denylist (CRD-31, resp-17/23); the Questionnaire create with
// davinci-crd.if-none-exist (CRD-36, dev-19); run-time invariant violations
// reach the log sink (CRD-18); the prefetch cache's bounds (ops-1).
#include <boost/test/unit_test.hpp>

#include <mutex>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_set_parser.hpp"
#include "crdex/hooks/engine.hpp"
#include "crdex/hooks/prefetch_cache.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"

using namespace crdex;

namespace {

const std::string kMemberSystem = "http://example.org/fhir/memberidentifier";

// Acme (the payer of the guide's Coverage COV1: member 88800933501, group
// xyz, plan gold, from 2020-01-01) with the given member records and outcome.
std::string acme_rules(const std::string& records, const std::string& default_outcome = R"({"covered":"covered","pa-needed":"no-auth"})",
                       const std::string& rules = "[]") {
  return R"({"schema":"crdex-rules/1",
    "payer":{"id":"acme-health-plan","name":"Acme Health Plan",
             "identifiedBy":{"references":["Organization/acme-payer"]},
             "paPortals":["https://portal.acme.example.org/pa"]},
    "defaultOutcome":)" + default_outcome + R"(,"rules":)" + rules +
         (records.empty() ? std::string() : R"(,"members":{"memberIdSystem":")" + kMemberSystem + R"(","records":)" + records + "}") +
         "}";
}

const std::string kGoldRecord =
    R"([{"memberId":"88800933501","coverages":[{"start":"2020-01-01","classes":[{"type":"group","value":"xyz"},{"type":"plan","value":"gold"}]}]}])";

struct Answer {
  int status;
  std::string text;
  test::Json json;
};

hooks::Engine engine_for(const std::string& rules_json) {
  auto set = config::parse_rule_set(rules_json, "test");
  if (!set) throw std::runtime_error(set.error().message);
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(std::move(*set));
  auto catalog = config::RuleCatalog::build(std::move(sets));
  if (!catalog) throw std::runtime_error(catalog.error().message);
  return hooks::Engine(std::move(catalog).value());
}

Answer call(const hooks::Engine& engine, const std::string& service, const std::string& body) {
  auto response = engine.call_service(service, body);
  return {response.status, response.body, test::Json(response.body)};
}

std::string order_sign(const std::string& coverage_bundle = test::ig_coverage_bundle()) {
  return test::order_sign_request(test::service_request_entry("sr1", test::kCpt, "77067"),
                                  R"({"coverage":)" + coverage_bundle + "}");
}

std::string encounter_start(const std::string& extension = "") {
  return R"({"hook":"encounter-start","hookInstance":"e1","fhirServer":"http://ehr.example.org/fhir",
    "context":{"userId":"Practitioner/1","patientId":"123","encounterId":"987"},
    "prefetch":{"coverage":)" + test::ig_coverage_bundle() + "}" + (extension.empty() ? "" : ",\"extension\":" + extension) + "}";
}

// The reason coding's code of the first system action's coverage information.
std::string first_reason(const Answer& answer) {
  auto resource = answer.json.root()["systemActions"].at(0)["resource"].value();
  for (auto ext : resource["extension"].get_array()) {
    for (auto part : ext["extension"].get_array()) {
      if (std::string_view(part["url"]) != "reason") continue;
      return std::string(std::string_view(part["valueCodeableConcept"]["coding"].at(0)["code"]));
    }
  }
  return {};
}

simdjson::dom::element first_resource(const Answer& answer) {
  return answer.json.root()["systemActions"].at(0)["resource"].value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hooks_membership)

BOOST_AUTO_TEST_CASE(CRD20_resp44_member_unknown_to_the_payer_is_not_covered_no_member_found) {
  const auto engine = engine_for(acme_rules(kGoldRecord));
  const auto answer =
      call(engine, "crdex-order-sign", order_sign(test::replace_first(test::ig_coverage_bundle(), R"("value":"88800933501")", R"("value":"99900000001")")));
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  BOOST_TEST(test::coverage_information_code(first_resource(answer), "covered") == "not-covered");
  BOOST_TEST(test::coverage_information_code(first_resource(answer), "pa-needed").empty());  // crd-ci-q2
  BOOST_TEST(first_reason(answer) == "no-member-found");
  BOOST_TEST(answer.text.find("99900000001") != std::string::npos);  // the reason text names the id
  BOOST_TEST(test::empty_values(answer.json.root()).empty());
}

BOOST_AUTO_TEST_CASE(CRD21_resp45_member_whose_coverage_lapsed_is_not_covered_no_active_coverage) {
  const auto lapsed = test::replace_first(kGoldRecord, R"("start":"2020-01-01")", R"("start":"2020-01-01","end":"2021-12-31")");
  const auto answer = call(engine_for(acme_rules(lapsed)), "crdex-order-sign", order_sign());
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  BOOST_TEST(test::coverage_information_code(first_resource(answer), "covered") == "not-covered");
  BOOST_TEST(first_reason(answer) == "no-active-coverage");
  // A cancelled record says the same.
  const auto cancelled = test::replace_first(kGoldRecord, R"("start")", R"("status":"cancelled","start")");
  BOOST_TEST(first_reason(call(engine_for(acme_rules(cancelled)), "crdex-order-sign", order_sign())) ==
             "no-active-coverage");
}

BOOST_AUTO_TEST_CASE(CRD21_resp45_several_active_coverages_not_singled_out_is_coverage_not_found) {
  const std::string two_plans =
      R"([{"memberId":"88800933501","coverages":[
          {"start":"2020-01-01","classes":[{"type":"plan","value":"silver"}]},
          {"start":"2020-01-01","classes":[{"type":"plan","value":"bronze"}]}]}])";
  const auto answer = call(engine_for(acme_rules(two_plans)), "crdex-order-sign", order_sign());
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  BOOST_TEST(test::coverage_information_code(first_resource(answer), "covered") == "not-covered");
  BOOST_TEST(first_reason(answer) == "coverage-not-found");
  // The Coverage's plan class singles out one of them: assessed as usual.
  const auto gold_and_bronze = test::replace_first(two_plans, "silver", "gold");
  const auto matched = call(engine_for(acme_rules(gold_and_bronze)), "crdex-order-sign", order_sign());
  BOOST_TEST(test::coverage_information_code(first_resource(matched), "covered") == "covered");
}

BOOST_AUTO_TEST_CASE(CRD38_records_that_agree_give_no_coverage_update) {
  const auto answer = call(engine_for(acme_rules(kGoldRecord)), "crdex-order-sign", order_sign());
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto actions = answer.json.root()["systemActions"].get_array().value();
  BOOST_TEST(actions.size() == 1u);
  BOOST_TEST(std::string_view(actions.at(0)["resource"]["resourceType"]) == "ServiceRequest");
}

BOOST_AUTO_TEST_CASE(CRD38_resp70_order_sign_corrects_the_coverage_as_a_system_action_never_a_card) {
  const auto platinum = test::replace_first(
      test::replace_first(kGoldRecord, R"("value":"gold")", R"("value":"platinum","name":"Acme Platinum Plan")"),
      R"("start":"2020-01-01")", R"("start":"2020-01-01","end":"2030-12-31")");
  const auto answer = call(engine_for(acme_rules(platinum)), "crdex-order-sign", order_sign());
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  for (auto card : answer.json.root()["cards"].get_array())
    BOOST_TEST(std::string_view(card["source"]["topic"]["code"]) != "insurance");
  auto actions = answer.json.root()["systemActions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 2u);
  auto update = actions.at(1).value();
  BOOST_TEST(std::string_view(update["type"]) == "update");
  auto corrected = update["resource"].value();
  BOOST_TEST(std::string_view(corrected["resourceType"]) == "Coverage");
  BOOST_TEST(std::string_view(corrected["class"].at(1)["value"]) == "platinum");
  BOOST_TEST(std::string_view(corrected["class"].at(1)["name"]) == "Acme Platinum Plan");
  BOOST_TEST(std::string_view(corrected["period"]["end"]) == "2030-12-31");
  // Every other element is the EHR's, unchanged (JSON diff member by member).
  test::Json bundle(test::ig_coverage_bundle());
  auto original = bundle.root()["entry"].at(0)["resource"].value();
  for (auto field : original.get_object()) {
    if (field.key == "class" || field.key == "period") continue;
    BOOST_TEST(test::minified(corrected[field.key].value()) == test::minified(field.value), field.key);
  }
  BOOST_TEST(test::minified(corrected["class"].at(0).value()) == test::minified(original["class"].at(0).value()));
  BOOST_TEST(test::empty_values(answer.json.root()).empty());
}

BOOST_AUTO_TEST_CASE(CRD38_encounter_start_offers_the_coverage_update_as_an_insurance_card) {
  const auto bronze = test::replace_first(kGoldRecord, R"("value":"gold")", R"("value":"bronze")");
  const auto engine = engine_for(acme_rules(bronze));
  const auto answer = call(engine, "crdex-encounter-start", encounter_start());
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto card = answer.json.root()["cards"].at(0).value();
  BOOST_TEST(std::string_view(card["source"]["topic"]["code"]) == "insurance");
  BOOST_TEST(std::string_view(card["source"]["label"]) == "Acme Health Plan");
  auto suggestions = card["suggestions"].get_array().value();
  BOOST_TEST_REQUIRE(suggestions.size() == 1u);
  BOOST_TEST(!std::string_view(suggestions.at(0)["uuid"]).empty());
  auto actions = suggestions.at(0)["actions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 1u);
  BOOST_TEST(std::string_view(actions.at(0)["type"]) == "update");
  BOOST_TEST(std::string_view(actions.at(0)["resource"]["class"].at(1)["value"]) == "bronze");
  BOOST_TEST(std::string_view(card["detail"]).find("plan gold -> bronze") != std::string_view::npos);
  // "insurance": false switches the response type off (CRD dev-14).
  const auto off = call(engine, "crdex-encounter-start",
                        encounter_start(R"({"davinci-crd.configuration":{"insurance":false}})"));
  BOOST_TEST(off.text.find("\"insurance\"") == std::string::npos, off.text);
  // Discovery offers the option.
  BOOST_TEST(engine.discovery().find(R"("code":"insurance")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CRD31_resp17_resp23_rules_linking_to_the_pa_portal_are_refused_with_the_path) {
  const auto linking = acme_rules("", R"({"covered":"covered","pa-needed":"no-auth"})", R"([{"id":"r1","when":{},"then":{
      "covered":"covered","pa-needed":"auth-needed",
      "card":{"summary":"Start the PA","links":[{"label":"Portal","url":"https://portal.acme.example.org/pa/start"}]}}}])");
  const auto check = config::check_rule_set(linking, "test");
  BOOST_TEST_REQUIRE(check.problems.size() == 1u);
  BOOST_TEST(check.problems[0].path == "$.rules[0].then.card.links[0].url");
  BOOST_TEST(check.problems[0].message.find("resp-17") != std::string::npos);
  // A portal mentioned in the Instructions text is refused too; other links are fine.
  const auto in_detail = test::replace_first(linking, R"("links":[{"label":"Portal","url":"https://portal.acme.example.org/pa/start"}])",
                                             R"("detail":"Go to https://portal.acme.example.org/pa/start")");
  BOOST_TEST(config::check_rule_set(in_detail, "test").problems.at(0).path == "$.rules[0].then.card.detail");
  const auto policy = test::replace_first(linking, "https://portal.acme.example.org/pa/start",
                                          "https://payer.example.org/acme/policies/mm-12");
  BOOST_TEST(config::check_rule_set(policy, "test").ok());
}

BOOST_AUTO_TEST_CASE(CRD36_dev19_form_questionnaire_is_created_with_if_none_exist_before_the_task) {
  const auto rules = acme_rules("", R"({"covered":"covered","pa-needed":"no-auth","form":{
      "summary":"Complete the oxygen form","label":"Oxygen CMN",
      "questionnaire":"http://example.org/acme/Questionnaire/oxygen-cmn|2",
      "questionnaireResource":{"resourceType":"Questionnaire","url":"http://example.org/acme/Questionnaire/oxygen-cmn",
        "version":"2","status":"active","item":[{"linkId":"1","text":"SpO2 at rest","type":"decimal"}]}}})");
  const auto answer = call(engine_for(rules), "crdex-order-sign", order_sign());
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto actions = answer.json.root()["cards"].at(0)["suggestions"].at(0)["actions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 2u);
  BOOST_TEST(std::string_view(actions.at(0)["type"]) == "create");
  BOOST_TEST(std::string_view(actions.at(0)["resource"]["resourceType"]) == "Questionnaire");
  BOOST_TEST(std::string_view(actions.at(0)["extension"]["davinci-crd.if-none-exist"]) ==
             "url=http://example.org/acme/Questionnaire/oxygen-cmn&version=2");
  BOOST_TEST(std::string_view(actions.at(1)["resource"]["resourceType"]) == "Task");
  // The Questionnaire must be the one the form names.
  const auto wrong = test::replace_first(rules, R"("version":"2")", R"("version":"3")");
  BOOST_TEST(!config::check_rule_set(wrong, "test").ok());
}

BOOST_AUTO_TEST_CASE(CRD18_invariant_broken_at_run_time_is_answered_technical_and_logged) {
  // Built by hand: the parser would refuse this outcome (crd-ci-q2).
  config::PayerRuleSet acme;
  acme.payer_id = "acme";
  acme.payer_name = "Acme Health Plan";
  acme.identity.references = {"Organization/acme-payer"};
  acme.default_outcome.covered = "not-covered";
  acme.default_outcome.pa_needed = "auth-needed";
  std::vector<config::PayerRuleSet> sets{acme};
  hooks::Engine engine(config::RuleCatalog::build(std::move(sets)).value());
  std::mutex mutex;
  std::vector<std::pair<hooks::LogLevel, std::string>> lines;
  engine.set_log_sink([&](hooks::LogLevel level, std::string_view message) {
    std::lock_guard lock(mutex);
    lines.emplace_back(level, std::string(message));
  });
  const auto answer = call(engine, "crdex-order-sign", order_sign());
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  BOOST_TEST(test::coverage_information_code(first_resource(answer), "covered") == "indeterminate");
  BOOST_TEST(first_reason(answer) == "technical");
  BOOST_TEST_REQUIRE(!lines.empty());
  BOOST_TEST((lines.front().first == hooks::LogLevel::error));
  BOOST_TEST(lines.front().second.find("ServiceRequest/sr1") != std::string::npos, lines.front().second);
  BOOST_TEST(lines.front().second.find("invariant") != std::string::npos);
  BOOST_TEST(lines.front().second.find("token") == std::string::npos);  // never the access token
}

BOOST_AUTO_TEST_CASE(ops1_prefetch_cache_is_short_bounded_and_per_token) {
  using namespace std::chrono_literals;
  hooks::PrefetchCache cache({100ms, 2});
  const auto t0 = hooks::PrefetchCache::Clock::now();
  cache.store("https://ehr/fhir", "token-a", "Patient/123", R"({"resourceType":"Patient"})", t0);
  BOOST_TEST(cache.find("https://ehr/fhir", "token-a", "Patient/123", t0 + 50ms).has_value());
  BOOST_TEST(!cache.find("https://ehr/fhir", "token-b", "Patient/123", t0 + 50ms).has_value());
  BOOST_TEST(!cache.find("https://other/fhir", "token-a", "Patient/123", t0 + 50ms).has_value());
  BOOST_TEST(!cache.find("https://ehr/fhir", "token-a", "Patient/123", t0 + 100ms).has_value());
  cache.store("https://ehr/fhir", "token-a", "Coverage?patient=1", "{}", t0);
  cache.store("https://ehr/fhir", "token-a", "Coverage?patient=2", "{}", t0);
  cache.store("https://ehr/fhir", "token-a", "Coverage?patient=3", "{}", t0);
  BOOST_TEST(cache.size() <= 2u);
  BOOST_TEST(cache.find("https://ehr/fhir", "token-a", "Coverage?patient=3", t0).has_value());
  BOOST_TEST(!hooks::PrefetchCache({0ms, 10}).enabled());
}

BOOST_AUTO_TEST_SUITE_END()
