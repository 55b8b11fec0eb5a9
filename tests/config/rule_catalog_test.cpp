// crdex::config::RuleCatalog: payer identification, rule choice, conflicts.
#include <boost/test/unit_test.hpp>
#include <fstream>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_set_parser.hpp"
#include "support/fixtures.hpp"

using namespace crdex;

namespace {

config::PayerRuleSet parse(const std::string& json, const std::string& source = "test.json") {
  auto set = config::parse_rule_set(json, source);
  if (!set) throw std::runtime_error(set.error().message);
  return std::move(set).value();
}

const std::string kPriorityRules = R"({"schema":"crdex-rules/1",
  "payer":{"id":"p","name":"Payer P","identifiedBy":{"references":["Organization/p"],
    "identifiers":[{"system":"http://example.org/payers","value":"P1"}],"displays":["Payer P"]}},
  "defaultOutcome":{"covered":"covered"},
  "rules":[
    {"id":"low","when":{"codes":[{"system":"s","code":"1"}]},"then":{"covered":"covered","pa-needed":"no-auth"}},
    {"id":"first-high","priority":5,"when":{"codes":[{"system":"s","code":"1"},{"system":"s","code":"2"}]},
      "then":{"covered":"covered","pa-needed":"auth-needed"}},
    {"id":"second-high","priority":5,"when":{"codes":[{"system":"s","code":"1"}]},
      "then":{"covered":"not-covered"}},
    {"id":"devices-only","priority":9,"when":{"codes":[{"system":"s","code":"1"}],"resourceTypes":["DeviceRequest"]},
      "then":{"covered":"covered","pa-needed":"performpa"}}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(config_rule_catalog)

BOOST_AUTO_TEST_CASE(highest_priority_wins_then_earliest_declared) {
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(parse(kPriorityRules));
  auto catalog = config::RuleCatalog::build(std::move(sets));
  BOOST_TEST_REQUIRE(catalog.ok());
  const auto& payer = (*catalog)->payers().at(0);
  const std::vector<fhir::Coding> code1{{"s", "1", ""}};
  BOOST_TEST((*catalog)->best_rule(payer, code1, "ServiceRequest")->id == "first-high");
  BOOST_TEST((*catalog)->best_rule(payer, code1, "DeviceRequest")->id == "devices-only");
  const std::vector<fhir::Coding> code2{{"s", "2", ""}};
  BOOST_TEST((*catalog)->best_rule(payer, code2, "ServiceRequest")->id == "first-high");
  const std::vector<fhir::Coding> other{{"s", "3", ""}, {"t", "1", ""}};
  BOOST_TEST((*catalog)->best_rule(payer, other, "ServiceRequest") == nullptr);
}

BOOST_AUTO_TEST_CASE(payer_found_by_reference_identifier_or_display) {
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(parse(kPriorityRules));
  auto catalog = config::RuleCatalog::build(std::move(sets));
  BOOST_TEST_REQUIRE(catalog.ok());
  const auto& c = **catalog;
  BOOST_TEST(c.find_payer({"http://ehr.example.org/fhir/Organization/p", {}, {}, {}}) != nullptr);
  BOOST_TEST(c.find_payer({{}, "http://example.org/payers", "P1", {}}) != nullptr);
  BOOST_TEST(c.find_payer({{}, {}, {}, "Payer P"}) != nullptr);
  BOOST_TEST(c.find_payer({"Organization/q", "http://example.org/payers", "P2", "Payer Q"}) == nullptr);
  BOOST_TEST(c.find_payer({{}, "http://other.example.org", "P1", {}}) == nullptr);
}

BOOST_AUTO_TEST_CASE(two_payers_claiming_the_same_coverage_are_refused) {
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(parse(kPriorityRules, "a.json"));
  auto second = kPriorityRules;
  second.replace(second.find(R"("id":"p")"), 8, R"("id":"q")");
  sets.push_back(parse(second, "b.json"));
  auto catalog = config::RuleCatalog::build(std::move(sets));
  BOOST_TEST_REQUIRE(!catalog.ok());
  BOOST_TEST(catalog.error().message.find("b.json") != std::string::npos);
  BOOST_TEST(catalog.error().message.find("also identifies payer \"p\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(duplicate_payer_ids_are_refused) {
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(parse(kPriorityRules, "a.json"));
  sets.push_back(parse(kPriorityRules, "b.json"));
  auto catalog = config::RuleCatalog::build(std::move(sets));
  BOOST_TEST_REQUIRE(!catalog.ok());
  BOOST_TEST(catalog.error().message.find("payer id \"p\" is also used by a.json") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(directory_load_reads_every_json_file_and_names_a_bad_one) {
  auto examples = config::RuleCatalog::load_directory(test::example_rules_dir());
  BOOST_TEST_REQUIRE(examples.ok());
  BOOST_TEST((*examples)->payers().size() == 2u);

  test::TempDir dir;
  std::ofstream(dir.path() / "a-good.json") << kPriorityRules;
  std::ofstream(dir.path() / "notes.txt") << "not a rule file";
  std::ofstream(dir.path() / "z-bad.json") << R"({"schema":"crdex-rules/1","payer":{"id":"z"}})";
  auto loaded = config::RuleCatalog::load_directory(dir.path());
  BOOST_TEST_REQUIRE(!loaded.ok());
  BOOST_TEST(loaded.error().message.find("z-bad.json") != std::string::npos);
  BOOST_TEST(loaded.error().message.find("$.payer.name is required") != std::string::npos);

  BOOST_TEST(!config::RuleCatalog::load_directory(dir.path() / "missing").ok());
}

BOOST_AUTO_TEST_CASE(card_topics_are_collected_for_discovery) {
  auto examples = config::RuleCatalog::load_directory(test::example_rules_dir());
  BOOST_TEST_REQUIRE(examples.ok());
  const auto topics = (*examples)->card_topics();
  BOOST_TEST(std::count(topics.begin(), topics.end(), "guideline") == 1);
  BOOST_TEST(std::count(topics.begin(), topics.end(), "therapy-alternatives-opt") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
