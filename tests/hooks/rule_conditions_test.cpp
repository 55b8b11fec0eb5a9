// Rule conditions end to end: examples/conditions (one rule per condition) run
// through the Engine with the rule trace on, then each condition made false by
// changing one fact of the request. Plus the catalog index and validation.
#include <boost/test/unit_test.hpp>
#include <map>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_set_parser.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/hooks/engine.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;

namespace {

std::string example_request() {
  return test::read_file(test::source_dir() / "examples/conditions/requests/order-sign.json");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("not in the request: " + from);
  return text.replace(at, from.size(), to);
}

// order -> winning rule ("defaultOutcome" when none), from the trace.
std::map<std::string, std::string> winners(const std::string& request) {
  auto rules = config::RuleCatalog::load_directory(test::source_dir() / "examples/conditions/rules");
  if (!rules) throw std::runtime_error(rules.error().message);
  hooks::Engine engine(std::move(rules).value());
  engine.allow_rule_trace(true);
  const auto response = engine.call_service("crdex-order-sign", request);
  if (response.status != 200) throw std::runtime_error(response.body);
  test::Json answer(response.body);
  std::map<std::string, std::string> out;
  for (auto entry : answer.root()["extension"]["crdex.rule-trace"].get_array())
    out[std::string(entry["order"].get_string().value())] = std::string(entry["winner"].get_string().value());
  return out;
}

config::PayerRuleSet parse(const std::string& json) {
  auto set = config::parse_rule_set(json, "test.json");
  if (!set) throw std::runtime_error(set.error().message);
  return std::move(set).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rule_conditions)

BOOST_AUTO_TEST_CASE(RULES_10_every_condition_of_the_example_holds) {
  const auto won = winners(example_request());
  BOOST_TEST(won.at("ServiceRequest/imaging-gold") == "advanced-imaging-gold-card");  // range + requester (gold card)
  BOOST_TEST(won.at("ServiceRequest/imaging") == "advanced-imaging-pa");              // CPT range via a group
  BOOST_TEST(won.at("DeviceRequest/oxygen") == "oxygen-pa");                          // HCPCS prefix + type
  BOOST_TEST(won.at("ServiceRequest/sleep-study") == "sleep-study-seniors");          // age
  BOOST_TEST(won.at("ServiceRequest/mammography") == "screening-mammography");        // age + gender
  BOOST_TEST(won.at("ServiceRequest/physical-therapy") == "physical-therapy-gold-plan");  // plan + quantity
  BOOST_TEST(won.at("DeviceRequest/cgm") == "cgm-with-diabetes");                     // prefetched Condition
  BOOST_TEST(won.at("MedicationRequest/opioid") == "long-supply-opioid");             // supply days
  BOOST_TEST(won.at("ServiceRequest/home-infusion") == "home-infusion-out-of-state");  // place + state
  BOOST_TEST(won.at("ServiceRequest/genetic-test") == "commercial-coverage-type");    // coverage type
  const bool in_2027 = fhir::today_utc_date() >= "2027-01-01" && fhir::today_utc_date() <= "2027-12-31";
  BOOST_TEST(won.at("ServiceRequest/remote-monitoring") == (in_2027 ? "telehealth-2027" : "defaultOutcome"));
}

BOOST_AUTO_TEST_CASE(RULES_11_each_condition_fails_when_its_fact_changes) {
  const auto request = example_request();
  auto winner = [&](const std::string& from, const std::string& to, const std::string& order) {
    return winners(replaced(request, from, to)).at(order);
  };
  BOOST_TEST(winner(R"("reference": "Practitioner/dr-gold")", R"("reference": "Practitioner/dr-other")",
                    "ServiceRequest/imaging-gold") == "advanced-imaging-pa");
  BOOST_TEST(winner(R"("gender": "female")", R"("gender": "male")", "ServiceRequest/mammography") ==
             "defaultOutcome");
  BOOST_TEST(winner(R"("birthDate": "1950-03-01")", R"("birthDate": "1990-03-01")", "ServiceRequest/sleep-study") ==
             "defaultOutcome");
  BOOST_TEST(winner(R"("value": "GOLD")", R"("value": "SILVER")", "ServiceRequest/physical-therapy") ==
             "physical-therapy");
  BOOST_TEST(winner(R"("value": 10)", R"("value": 20)", "ServiceRequest/physical-therapy") == "physical-therapy");
  BOOST_TEST(winner(R"("code": "E11.9")", R"("code": "I10")", "DeviceRequest/cgm") == "cgm-without-diabetes");
  BOOST_TEST(winner(R"("value": 14)", R"("value": 5)", "MedicationRequest/opioid") == "defaultOutcome");
  BOOST_TEST(winner(R"("numberOfRepeatsAllowed": 0)", R"("numberOfRepeatsAllowed": 2)", "MedicationRequest/opioid") ==
             "long-supply-opioid");  // both match; the earlier declared wins the tie
  BOOST_TEST(winner(R"("state": "NH")", R"("state": "MA")", "ServiceRequest/home-infusion") == "defaultOutcome");
  BOOST_TEST(winner(R"("code": "EHCPOL")", R"("code": "PUBLICPOL")", "ServiceRequest/genetic-test") ==
             "defaultOutcome");
  BOOST_TEST(winner(R"("code": "70551")", R"("code": "76500")", "ServiceRequest/imaging") == "defaultOutcome");
}

BOOST_AUTO_TEST_CASE(RULES_12_index_finds_prefixes_and_ranges_and_period_bounds_by_date) {
  auto catalog = config::RuleCatalog::build({parse(R"({"schema":"crdex-rules/1",
    "payer":{"id":"p","name":"P","identifiedBy":{"displays":["P"]}},"defaultOutcome":{"covered":"covered"},
    "rules":[
      {"id":"prefix","when":{"codes":[{"system":"h","prefix":"E0"}]},"then":{"covered":"covered"}},
      {"id":"longer-prefix","when":{"codes":[{"system":"h","prefix":"E04"}]},"then":{"covered":"covered"}},
      {"id":"range","priority":1,"when":{"codes":[{"system":"c","from":"70010","to":"76499"}]},"then":{"covered":"covered"}},
      {"id":"period","priority":2,"when":{"codes":[{"system":"c","code":"70010"}],
        "effective":{"from":"2026-01-01","to":"2026-06-30"}},"then":{"covered":"covered"}},
      {"id":"no-codes","priority":-1,"when":{"resourceTypes":["Appointment"]},"then":{"covered":"covered"}}]})")});
  BOOST_TEST_REQUIRE(catalog.ok());
  const auto& payer = (*catalog)->payers().front();
  auto best = [&](const std::string& system, const std::string& code, const std::string& today,
                  std::string_view type = "ServiceRequest") {
    config::OrderFacts order;
    order.resource_type = type;
    order.codes = {{system, code, ""}};
    config::EvaluationContext context;
    context.today = today;
    const auto* rule = (*catalog)->best_rule(payer, order, context);
    return rule ? rule->id : std::string("none");
  };
  BOOST_TEST(best("h", "E0431", "2026-03-01") == "prefix");  // equal priority: declared first
  BOOST_TEST(best("h", "E1390", "2026-03-01") == "none");
  BOOST_TEST(best("c", "76499", "2026-03-01") == "range");
  BOOST_TEST(best("c", "76500", "2026-03-01") == "none");
  BOOST_TEST(best("c", "7001", "2026-03-01") == "none");  // shorter code is not in a 5-character range
  BOOST_TEST(best("c", "70010", "2026-03-01") == "period");
  BOOST_TEST(best("c", "70010", "2026-07-01") == "range");
  BOOST_TEST(best("x", "anything", "2026-03-01", "Appointment") == "no-codes");
}

BOOST_AUTO_TEST_CASE(RULES_13_validation_collects_every_problem_with_a_pointer) {
  const auto check = config::check_rule_set(R"({"schema":"crdex-rules/1","payr":{},
    "payer":{"id":"","name":"P","identifiedBy":{"displays":["P"]}},"defaultOutcome":{"covered":"covered"},
    "codeGroups":{"g":[{"group":"h"}]},
    "rules":[{"id":"a","when":{"codes":[{"system":"c","from":"7001","to":"76499"}],"quantity":{}},
              "then":{"covered":"covered"}},
             {"id":"a","when":{"effective":{"from":"2026-13"}},"then":{"covered":"nope"}}]})",
                                            "x.json");
  std::vector<std::string> pointers;
  for (const auto& p : check.problems) pointers.push_back(p.pointer);
  const std::vector<std::string> expected{"/payr",  // unknown key
                                          "/payer/id",
                                          "/codeGroups/g/0/group",
                                          "/rules/0/when/codes/0",
                                          "/rules/0/when/quantity",
                                          "/rules/1/when/effective/from",
                                          "/rules/1/then/covered",
                                          "/rules/1/id"};
  BOOST_TEST(pointers == expected, boost::test_tools::per_element());
  BOOST_TEST(!check.set.has_value());
  BOOST_TEST(config::json_pointer("$.rules[12].then.a~b/c") == "/rules/12/then/a~0b~1c");
}

BOOST_AUTO_TEST_SUITE_END()
