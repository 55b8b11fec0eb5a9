// crdex::config: the rule set's `push` section and the planner that turns an
// EHR event notification into $submit-attachment pushes (CDex P2, issue 22).
#include <boost/test/unit_test.hpp>

#include "crdex/config/push_plan.hpp"
#include "crdex/config/rule_set_parser.hpp"
#include "crdex/fhir/submit_attachment.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;

namespace {

std::shared_ptr<const config::RuleCatalog> harbor_catalog() {
  auto set = config::parse_rule_set(test::read_fixture("push/rules/harbor-health.json"), "harbor-health.json");
  BOOST_REQUIRE(set.ok());
  std::vector<config::PayerRuleSet> sets{std::move(set).value()};
  auto catalog = config::RuleCatalog::build(std::move(sets));
  BOOST_REQUIRE(catalog.ok());
  return *catalog;
}

std::string discharge_event() { return test::read_fixture("push/encounter-discharge.json"); }

std::string push_fixture_replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  BOOST_REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string push_rule_error(const std::string& push_json) {
  auto set = config::parse_rule_set(
      R"({"schema":"crdex-rules/1","payer":{"id":"p","name":"P","identifiedBy":{"references":["Organization/p"]}},
          "defaultOutcome":{"covered":"covered"},"push":[)" + push_json + "]}",
      "p.json");
  return set ? std::string() : set.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_push_plan)

BOOST_AUTO_TEST_CASE(PUSH_the_push_section_is_read) {
  auto set = config::parse_rule_set(test::read_fixture("push/rules/harbor-health.json"), "harbor-health.json");
  BOOST_TEST_REQUIRE(set.ok(), (set.ok() ? "" : set.error().message));
  BOOST_TEST_REQUIRE(set->push.size() == 2u);
  const auto& discharge = set->push[0];
  BOOST_TEST(discharge.id == "discharge-summary");
  BOOST_TEST(discharge.on == "encounter-discharge");
  BOOST_TEST(discharge.resource_type == "DocumentReference");
  BOOST_TEST_REQUIRE(discharge.codes.size() == 1u);
  BOOST_TEST(discharge.codes[0].code == "18842-5");
  BOOST_TEST(discharge.destination == "harbor");
  BOOST_TEST(discharge.attach_to == "claim");
  BOOST_TEST(set->push[1].attach_to == "preauthorization");
}

BOOST_AUTO_TEST_CASE(PUSH_bad_push_entries_are_refused_with_their_path) {
  const std::string ok = R"({"id":"a","on":"encounter-discharge","send":{"resourceType":"DocumentReference"},"destination":"d"})";
  BOOST_TEST(push_rule_error(ok).empty());
  BOOST_TEST(push_rule_error(push_fixture_replaced(ok, "encounter-discharge", "admission")).find("allowed: encounter-discharge") !=
             std::string::npos);
  BOOST_TEST(push_rule_error(push_fixture_replaced(ok, R"(,"destination":"d")", "")).find("destination") != std::string::npos);
  BOOST_TEST(push_rule_error(push_fixture_replaced(ok, "\"destination\"", "\"attachTo\":\"bill\",\"destination\"")).find(
                 "claim or preauthorization") != std::string::npos);
  BOOST_TEST(push_rule_error(ok + "," + ok).find("earlier push entry") != std::string::npos);
  BOOST_TEST(push_rule_error(push_fixture_replaced(ok, "\"send\"", "\"sned\"")).find("sned") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(PUSH_a_discharge_plans_the_discharge_summary_only) {
  auto plan = config::plan_pushes(*harbor_catalog(), discharge_event());
  BOOST_TEST_REQUIRE(plan.ok(), (plan.ok() ? "" : plan.error().message));
  BOOST_TEST(plan->payer_id == "harbor-health");
  BOOST_TEST(plan->subject == "Encounter/enc-77");
  BOOST_TEST_REQUIRE(plan->pushes.size() == 1u);  // the progress note is not asked for
  const auto& push = plan->pushes[0];
  BOOST_TEST(push.destination == "harbor");
  BOOST_TEST(push.what == "DocumentReference/ds-77");
  BOOST_TEST(push.key == "encounter-discharge|Encounter/enc-77|harbor-health|discharge-summary|DocumentReference/ds-77");
  auto parsed = fhir::parse_submit_attachment(push.parameters);
  BOOST_TEST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed->member_id.value == "HB-100200");
  BOOST_TEST(parsed->tracking_id.value == "V-2026-0077");
  BOOST_TEST(parsed->attach_to == "claim");
  BOOST_TEST(parsed->service_date == "2026-11-21");
  BOOST_TEST_REQUIRE(parsed->payer_id.has_value());
  BOOST_TEST(parsed->payer_id->value == "HARBOR");
  BOOST_TEST_REQUIRE(parsed->attachments.size() == 1u);
  BOOST_TEST(parsed->attachments[0].content_json.find("\"ds-77\"") != std::string::npos);
  BOOST_TEST(parsed->attachments[0].code_json.find("18842-5") != std::string::npos);

  // The same notification plans the same key (the queue keeps one).
  auto again = config::plan_pushes(*harbor_catalog(), discharge_event());
  BOOST_TEST_REQUIRE(again.ok());
  BOOST_TEST(again->pushes.at(0).key == push.key);
  BOOST_TEST(again->pushes.at(0).parameters == push.parameters);
}

BOOST_AUTO_TEST_CASE(PUSH_documents_of_another_encounter_and_other_payers_plan_nothing) {
  auto other_encounter = config::plan_pushes(
      *harbor_catalog(), push_fixture_replaced(discharge_event(), R"("context": {"encounter": [{"reference": "Encounter/enc-77"}]},
      "content": [{"attachment": {"contentType": "text/plain", "data": "RGlzY2hhcmdl)",
                                   R"("context": {"encounter": [{"reference": "Encounter/enc-1"}]},
      "content": [{"attachment": {"contentType": "text/plain", "data": "RGlzY2hhcmdl)"));
  BOOST_TEST_REQUIRE(other_encounter.ok());
  BOOST_TEST(other_encounter->pushes.empty());
  BOOST_TEST_REQUIRE(other_encounter->notes.size() == 1u);
  BOOST_TEST(other_encounter->notes[0].find("discharge-summary") != std::string::npos);

  auto other_payer = config::plan_pushes(*harbor_catalog(),
                                         push_fixture_replaced(discharge_event(), "Organization/harbor-payer", "Organization/x"));
  BOOST_TEST_REQUIRE(other_payer.ok());
  BOOST_TEST(other_payer->payer_id.empty());
  BOOST_TEST(other_payer->pushes.empty());

  auto inactive = config::plan_pushes(*harbor_catalog(), push_fixture_replaced(discharge_event(), R"("status": "active")",
                                                                  R"("status": "cancelled")"));
  BOOST_TEST_REQUIRE(inactive.ok());
  BOOST_TEST(inactive->pushes.empty());
}

BOOST_AUTO_TEST_CASE(PUSH_malformed_notifications_get_400_naming_the_member) {
  const auto catalog = harbor_catalog();
  auto expression_of = [&](const std::string& body) {
    auto plan = config::plan_pushes(*catalog, body);
    BOOST_TEST_REQUIRE(!plan.ok());
    BOOST_TEST(plan.error().http_status == 400);
    return plan.error().expression;
  };
  BOOST_TEST(expression_of("{").empty());
  BOOST_TEST(expression_of(push_fixture_replaced(discharge_event(), R"("status": "finished")", R"("status": "in-progress")")) ==
             "encounter.status");
  BOOST_TEST(expression_of(push_fixture_replaced(discharge_event(), "encounter-discharge", "admitted")) == "event");
  BOOST_TEST(expression_of(push_fixture_replaced(discharge_event(), R"("subscriberId": "HB-100200",)", "")) == "coverage");
  BOOST_TEST(expression_of(push_fixture_replaced(discharge_event(), "organizationId", "orgId")) == "organizationId");
}

BOOST_AUTO_TEST_CASE(PUSH_a_final_result_plans_the_report) {
  const std::string event = R"({"event":"result-final",
    "result":{"resourceType":"DiagnosticReport","id":"dr-5","status":"final",
              "code":{"coding":[{"system":"http://loinc.org","code":"24323-8"}]},
              "effectiveDateTime":"2026-11-19T09:00:00Z","subject":{"reference":"Patient/pat-9"}},
    "coverage":{"resourceType":"Coverage","status":"active","subscriberId":"HB-100200",
                "payor":[{"identifier":{"system":"http://example.org/payer-ids","value":"HARBOR"}}]},
    "providerId":{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}})";
  auto plan = config::plan_pushes(*harbor_catalog(), event);
  BOOST_TEST_REQUIRE(plan.ok(), (plan.ok() ? "" : plan.error().message));
  BOOST_TEST_REQUIRE(plan->pushes.size() == 1u);
  BOOST_TEST(plan->pushes[0].what == "DiagnosticReport/dr-5");
  auto parsed = fhir::parse_submit_attachment(plan->pushes[0].parameters);
  BOOST_TEST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed->attach_to == "preauthorization");
  BOOST_TEST(parsed->tracking_id.value == "DiagnosticReport/dr-5");
}

BOOST_AUTO_TEST_SUITE_END()
