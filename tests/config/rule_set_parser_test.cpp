// crdex::config: reading "crdex-rules/1" documents, with precise errors and the
// CRD coverage-information invariants (CRD-16, CRD-17, CRD-18).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "crdex/config/rule_set_parser.hpp"
#include "support/fixtures.hpp"

using namespace crdex;

namespace {

// A rule set whose single rule's outcome is `then` (a JSON object text).
std::string rule_set_with_outcome(const std::string& then) {
  return R"({"schema":"crdex-rules/1",
    "payer":{"id":"p","name":"Payer P","identifiedBy":{"references":["Organization/p"]}},
    "defaultOutcome":{"covered":"covered"},
    "rules":[{"id":"r1","when":{"codes":[{"system":"http://www.ama-assn.org/go/cpt","code":"77061"}]},
      "then":)" + then + "}]}";
}

// Parses and returns the error message ("" when the document is valid).
std::string error_of(const std::string& json) {
  auto result = config::parse_rule_set(json, "payer.json");
  return result ? std::string() : result.error().message;
}

std::string error_path_of(const std::string& json) {
  auto result = config::parse_rule_set(json, "payer.json");
  return result ? std::string() : result.error().expression;
}

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(config_rule_set_parser)

BOOST_AUTO_TEST_CASE(example_rule_files_are_valid) {
  for (const auto& name : {"acme-health-plan.json", "bluestone-health.json"}) {
    auto set = config::load_rule_file(test::example_rules_dir() / name);
    BOOST_TEST_REQUIRE(set.ok(), (set.ok() ? "" : set.error().message));
    BOOST_TEST(!set->payer_name.empty());
    BOOST_TEST(!set->rules.empty());
  }
}

BOOST_AUTO_TEST_CASE(every_field_of_an_outcome_is_read) {
  auto set = config::parse_rule_set(rule_set_with_outcome(R"({
      "covered":"conditional","pa-needed":"auth-needed","doc-needed":["clinical"],"doc-purpose":["withpa"],
      "info-needed":["performer","OTH"],
      "billingCode":[{"system":"http://www.ama-assn.org/go/cpt","code":"77061","display":"DBT"}],
      "reason":[{"code":"auth-out-network"},{"system":"http://example.org/r","code":"x","text":"Plan rule"}],
      "detail":[{"category":"cat-limitation","code":{"code":"allowed-quantity"},"value":{"quantity":{"value":2}},
                 "qualification":"per year"}],
      "questionnaire":["http://example.org/Questionnaire/q"],
      "expiry-date":"2027-01-31",
      "card":{"summary":"PA needed","detail":"Send notes","indicator":"warning","topic":"coverage-info",
              "links":[{"label":"Policy","url":"https://payer.example.org/p"}]}})"),
                                    "payer.json");
  BOOST_TEST_REQUIRE(set.ok(), (set.ok() ? "" : set.error().message));
  const auto& o = set->rules.at(0).outcome;
  BOOST_TEST(o.covered == "conditional");
  BOOST_TEST(o.pa_needed == "auth-needed");
  BOOST_TEST(o.info_needed.size() == 2u);
  BOOST_TEST(o.billing_codes.at(0).display == "DBT");
  BOOST_TEST(o.reasons.at(0).coding.system == config::kCrdTempSystem);
  BOOST_TEST(o.reasons.at(1).text == "Plan rule");
  BOOST_TEST(o.details.at(0).value_key == "valueQuantity");
  BOOST_TEST(o.details.at(0).value_json == R"({"value":2})");
  BOOST_TEST(o.expiry_date == "2027-01-31");
  BOOST_TEST_REQUIRE(o.card.has_value());
  BOOST_TEST(o.card->indicator == "warning");
  BOOST_TEST(o.card->links.at(0).url == "https://payer.example.org/p");
}

BOOST_AUTO_TEST_CASE(invalid_json_names_the_file) {
  const auto message = error_of("{\"schema\": ");
  BOOST_TEST(mentions(message, "payer.json"));
  BOOST_TEST(mentions(message, "not valid JSON"));
}

BOOST_AUTO_TEST_CASE(wrong_schema_version_is_refused) {
  auto json = rule_set_with_outcome(R"({"covered":"covered"})");
  json.replace(json.find("crdex-rules/1"), 13, "crdex-rules/9");
  BOOST_TEST(error_path_of(json) == "$.schema");
  BOOST_TEST(mentions(error_of(json), "crdex-rules/1"));
}

BOOST_AUTO_TEST_CASE(misspelt_keys_are_refused_with_their_path) {
  const auto json = rule_set_with_outcome(R"({"covered":"covered","pa_needed":"auth-needed"})");
  BOOST_TEST(error_path_of(json) == "$.rules[0].then.pa_needed");
  BOOST_TEST(mentions(error_of(json), "not a known field"));
}

BOOST_AUTO_TEST_CASE(CRD17_codes_outside_the_crd_value_sets_are_refused) {
  const auto json = rule_set_with_outcome(R"({"covered":"covered","pa-needed":"maybe"})");
  BOOST_TEST(error_path_of(json) == "$.rules[0].then.pa-needed");
  BOOST_TEST(mentions(error_of(json), "allowed: no-auth, auth-needed"));
  BOOST_TEST(error_path_of(rule_set_with_outcome(R"({"covered":"yes"})")) == "$.rules[0].then.covered");
  BOOST_TEST(error_path_of(rule_set_with_outcome(R"({"covered":"covered","doc-needed":["x"]})")) ==
             "$.rules[0].then.doc-needed[0]");
}

BOOST_AUTO_TEST_CASE(missing_required_fields_are_named) {
  const std::string no_name = R"({"schema":"crdex-rules/1","payer":{"id":"p","identifiedBy":{"displays":["P"]}},
    "defaultOutcome":{"covered":"covered"}})";
  BOOST_TEST(error_path_of(no_name) == "$.payer.name");
  const std::string no_identity = R"({"schema":"crdex-rules/1","payer":{"id":"p","name":"P","identifiedBy":{}},
    "defaultOutcome":{"covered":"covered"}})";
  BOOST_TEST(error_path_of(no_identity) == "$.payer.identifiedBy");
  BOOST_TEST(error_path_of(rule_set_with_outcome(R"({"pa-needed":"no-auth"})")) == "$.rules[0].then.covered");
}

BOOST_AUTO_TEST_CASE(duplicate_rule_ids_are_refused) {
  const std::string json = R"({"schema":"crdex-rules/1","payer":{"id":"p","name":"P","identifiedBy":{"displays":["P"]}},
    "defaultOutcome":{"covered":"covered"},
    "rules":[{"id":"a","when":{"codes":[{"system":"s","code":"1"}]},"then":{"covered":"covered"}},
             {"id":"a","when":{"codes":[{"system":"s","code":"2"}]},"then":{"covered":"covered"}}]})";
  BOOST_TEST(error_path_of(json) == "$.rules[1].id");
}

BOOST_AUTO_TEST_CASE(rules_must_name_codes_and_known_order_types) {
  const std::string no_codes = R"({"schema":"crdex-rules/1","payer":{"id":"p","name":"P","identifiedBy":{"displays":["P"]}},
    "defaultOutcome":{"covered":"covered"},
    "rules":[{"id":"a","when":{"codes":[]},"then":{"covered":"covered"}}]})";
  BOOST_TEST(error_path_of(no_codes) == "$.rules[0].when.codes");
  const std::string bad_type = R"({"schema":"crdex-rules/1","payer":{"id":"p","name":"P","identifiedBy":{"displays":["P"]}},
    "defaultOutcome":{"covered":"covered"},
    "rules":[{"id":"a","when":{"codes":[{"system":"s","code":"1"}],"resourceTypes":["Observation"]},
      "then":{"covered":"covered"}}]})";
  BOOST_TEST(error_path_of(bad_type) == "$.rules[0].when.resourceTypes[0]");
}

BOOST_AUTO_TEST_CASE(cards_are_checked_against_cds_hooks_limits) {
  const std::string long_summary(140, 'x');
  BOOST_TEST(error_path_of(rule_set_with_outcome(R"({"covered":"covered","card":{"summary":")" + long_summary +
                                                 R"("}})")) == "$.rules[0].then.card.summary");
  BOOST_TEST(error_path_of(rule_set_with_outcome(
                 R"({"covered":"covered","card":{"summary":"s","links":[{"label":"l","url":"/relative"}]}})")) ==
             "$.rules[0].then.card.links[0].url");
  BOOST_TEST(error_path_of(rule_set_with_outcome(R"({"covered":"covered","card":{"summary":"s","topic":"ads"}})")) ==
             "$.rules[0].then.card.topic");
}

BOOST_AUTO_TEST_CASE(response_type_templates_are_read_and_checked) {
  auto set = config::parse_rule_set(rule_set_with_outcome(R"({"covered":"covered",
      "alternatives":{"summary":"Cheaper option","topic":"therapy-alternatives-req",
        "options":[{"label":"Generic","code":{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1"}}]},
      "companions":{"summary":"Add a test","orders":[{"label":"Oximetry","resourceType":"ServiceRequest",
        "code":{"system":"http://www.ama-assn.org/go/cpt","code":"94762"}}]},
      "form":{"summary":"Fill the form","label":"Worksheet","questionnaire":"http://example.org/Questionnaire/w",
        "afterCompletion":"all-claims-include"},
      "smartApp":{"summary":"Open the app","label":"Finder","url":"https://apps.example.org/launch",
        "appContext":"x=1","topic":"network"}})"),
                                    "payer.json");
  BOOST_TEST_REQUIRE(set.ok(), (set.ok() ? "" : set.error().message));
  const auto& o = set->rules.at(0).outcome;
  BOOST_TEST(o.alternatives->topic == "therapy-alternatives-req");
  BOOST_TEST(o.companions->topic == "clinical-reminder");
  BOOST_TEST(o.form->after_completion == "all-claims-include");
  BOOST_TEST(o.smart_app->app_context == "x=1");
  const auto topics = o.card_topics();
  BOOST_TEST(topics.size() == 4u);

  BOOST_TEST(error_path_of(rule_set_with_outcome(R"({"covered":"covered","alternatives":{"summary":"s",
      "topic":"guideline","options":[{"label":"l","code":{"system":"s","code":"c"}}]}})")) ==
             "$.rules[0].then.alternatives.topic");
  BOOST_TEST(error_path_of(rule_set_with_outcome(R"({"covered":"covered","companions":{"summary":"s",
      "orders":[{"label":"l","resourceType":"Patient","code":{"system":"s","code":"c"}}]}})")) ==
             "$.rules[0].then.companions.orders[0].resourceType");
  BOOST_TEST(error_path_of(rule_set_with_outcome(R"({"covered":"covered","smartApp":{"summary":"s","label":"l",
      "url":"launch.html"}})")) == "$.rules[0].then.smartApp.url");
}

BOOST_AUTO_TEST_CASE(CRD35_form_task_is_refused_where_dtr_applies) {
  const auto json = rule_set_with_outcome(R"({"covered":"covered","pa-needed":"auth-needed",
      "doc-needed":["clinical"],"questionnaire":["http://example.org/Questionnaire/q"],
      "form":{"summary":"s","label":"l","questionnaire":"http://example.org/Questionnaire/q"}})");
  BOOST_TEST(error_path_of(json) == "$.rules[0].then.form");
  BOOST_TEST(mentions(error_of(json), "resp-59"));
}

BOOST_AUTO_TEST_SUITE_END()

// Each coverage-information invariant refuses the outcome that breaks it.
BOOST_AUTO_TEST_SUITE(CRD18_coverage_information_invariants)

BOOST_AUTO_TEST_CASE(q1_questionnaire_needs_doc_needed) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(
                          R"({"covered":"covered","questionnaire":["http://example.org/Questionnaire/q"]})")),
                      "crd-ci-q1"));
}

BOOST_AUTO_TEST_CASE(q2_not_covered_has_no_pa_needed) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(R"({"covered":"not-covered","pa-needed":"auth-needed"})")),
                      "crd-ci-q2"));
}

BOOST_AUTO_TEST_CASE(q3_conditional_needs_info_needed) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(R"({"covered":"conditional"})")), "crd-ci-q3"));
  BOOST_TEST(error_of(rule_set_with_outcome(R"({"covered":"conditional","info-needed":["performer"]})")).empty());
}

BOOST_AUTO_TEST_CASE(q4_no_pa_means_no_withpa_documentation) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(
                          R"({"covered":"covered","pa-needed":"no-auth","doc-needed":["clinical"],
                              "doc-purpose":["withpa"],"reason":[{"text":"x"}]})")),
                      "crd-ci-q4"));
}

BOOST_AUTO_TEST_CASE(q5_satisfied_pa_id_exactly_when_satisfied) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(R"({"covered":"covered","pa-needed":"satisfied"})")),
                      "crd-ci-q5"));
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(
                          R"({"covered":"covered","pa-needed":"auth-needed","satisfied-pa-id":"PA1"})")),
                      "crd-ci-q5"));
  BOOST_TEST(error_of(rule_set_with_outcome(
                          R"({"covered":"covered","pa-needed":"satisfied","satisfied-pa-id":"PA1"})"))
                 .empty());
}

BOOST_AUTO_TEST_CASE(q6_info_needed_other_needs_a_reason) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(
                          R"({"covered":"conditional","info-needed":["OTH"]})")),
                      "crd-ci-q6"));
}

BOOST_AUTO_TEST_CASE(q7_non_standard_reason_needs_text) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(
                          R"({"covered":"covered","reason":[{"system":"http://example.org/r","code":"x"}]})")),
                      "crd-ci-q7"));
  BOOST_TEST(error_of(rule_set_with_outcome(R"({"covered":"covered","reason":[{"code":"gold-card"}]})")).empty());
}

BOOST_AUTO_TEST_CASE(q8_doc_purpose_needs_a_reason) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(
                          R"({"covered":"covered","pa-needed":"auth-needed","doc-needed":["clinical"],
                              "doc-purpose":["withpa"]})")),
                      "crd-ci-q8"));
}

BOOST_AUTO_TEST_CASE(q9_indeterminate_needs_a_reason) {
  BOOST_TEST(mentions(error_of(rule_set_with_outcome(R"({"covered":"indeterminate"})")), "crd-ci-q9"));
}

// A publisher fixes everything at once: every wrong field inside one outcome
// is reported with its own path, not only the first.
BOOST_AUTO_TEST_CASE(RULES_03_every_wrong_field_of_one_outcome_is_reported) {
  const auto check = config::check_rule_set(
      rule_set_with_outcome(R"({"covered":"maybe","pa-needed":"perhaps","doc-needed":["never"],
        "expiry-date":"tomorrow","card":{"summary":""},"colour":"blue"})"),
      "payer.json");
  BOOST_TEST_REQUIRE(!check.ok());
  std::vector<std::string> paths;
  for (const auto& problem : check.problems) paths.push_back(problem.path);
  for (const std::string expected : {"$.rules[0].then.colour", "$.rules[0].then.covered", "$.rules[0].then.pa-needed",
                                     "$.rules[0].then.doc-needed[0]", "$.rules[0].then.expiry-date",
                                     "$.rules[0].then.card.summary"}) {
    BOOST_TEST((std::find(paths.begin(), paths.end(), expected) != paths.end()), expected);
  }
  // Wrong fields are not also reported as broken invariants of the half-read outcome.
  for (const auto& problem : check.problems) BOOST_TEST(!mentions(problem.message, "crd-ci-q"), problem.message);
}

// With the fields right, the invariants are still checked.
BOOST_AUTO_TEST_CASE(RULES_03_invariants_are_checked_once_the_fields_are_right) {
  const auto check = config::check_rule_set(rule_set_with_outcome(R"({"covered":"indeterminate"})"), "payer.json");
  BOOST_TEST_REQUIRE(check.problems.size() == 1u);
  BOOST_TEST(mentions(check.problems.front().message, "crd-ci-q9"));
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 15 point 8: what `crdex-rules validate` must catch or warn about.
BOOST_AUTO_TEST_SUITE(config_rule_validation_issue15)

std::string rule_set_with(const std::string& references, const std::string& code_entry) {
  return R"({"schema":"crdex-rules/1",
    "payer":{"id":"p","name":"Payer P","identifiedBy":{"references":)" + references + R"(}},
    "defaultOutcome":{"covered":"covered"},
    "rules":[{"id":"r1","when":{"codes":[)" + code_entry + R"(]},"then":{"covered":"covered","pa-needed":"no-auth"}}]})";
}
const std::string kGoodCode = R"({"system":"http://www.ama-assn.org/go/cpt","code":"77061"})";

BOOST_AUTO_TEST_CASE(ISSUE15_bare_payer_id_is_an_error_with_its_pointer) {
  const auto check = config::check_rule_set(rule_set_with(R"(["org1234"])", kGoodCode), "p.json");
  BOOST_TEST_REQUIRE(check.problems.size() == 1u);
  BOOST_TEST(check.problems.front().pointer == "/payer/identifiedBy/references/0");
  BOOST_TEST(mentions(check.problems.front().message, "Type/id"), check.problems.front().message);
}

BOOST_AUTO_TEST_CASE(ISSUE15_type_id_and_absolute_payer_references_are_accepted) {
  for (const auto* refs : {R"(["Organization/org1234"])", R"(["https://payer.example.org/fhir/Organization/1"])",
                           R"(["urn:uuid:8f6a2c2e-4a3b-4a55-9f3e-0d9b1f3c7e21"])"}) {
    const auto check = config::check_rule_set(rule_set_with(refs, kGoodCode), "p.json");
    BOOST_TEST(check.ok(), refs);
  }
  for (const auto* refs : {R"(["organization/1"])", R"(["/1"])", R"(["Organization/"])", R"(["Organization/a b"])"})
    BOOST_TEST(!config::check_rule_set(rule_set_with(refs, kGoodCode), "p.json").ok(), refs);
}

BOOST_AUTO_TEST_CASE(ISSUE15_code_with_prefix_says_use_either) {
  const auto check = config::check_rule_set(
      rule_set_with(R"(["Organization/p"])",
                    R"({"system":"http://www.ama-assn.org/go/cpt","code":"77061","prefix":"770"})"),
      "p.json");
  BOOST_TEST_REQUIRE(check.problems.size() == 1u);
  BOOST_TEST(mentions(check.problems.front().message, "use either code or prefix"), check.problems.front().message);
  BOOST_TEST(!mentions(check.problems.front().message, "not a known field"));
  BOOST_TEST(check.problems.front().pointer == "/rules/0/when/codes/0");
}

BOOST_AUTO_TEST_CASE(ISSUE15_doubtful_code_systems_are_warnings_only) {
  const auto check = config::check_rule_set(
      rule_set_with(R"(["Organization/p"])", R"({"system":"hhttps://www.ama-assn.org/go/cpt","code":"77061"},
        {"system":"CPT","code":"77062"},{"system":"http:/example.org/x","code":"1"},
        {"system":"urn:oid:2.16.840.1.113883.6.12","code":"2"},)" + kGoodCode),
      "p.json");
  BOOST_TEST(check.ok());
  BOOST_TEST_REQUIRE(check.warnings.size() == 3u);
  BOOST_TEST(check.warnings[0].pointer == "/rules/0/when/codes/0/system");
  BOOST_TEST(mentions(check.warnings[0].message, "misspelled"), check.warnings[0].message);
  BOOST_TEST(mentions(check.warnings[1].message, "not an absolute URI"), check.warnings[1].message);
  BOOST_TEST(check.warnings[2].pointer == "/rules/0/when/codes/2/system");
  // The examples shipped warn about nothing.
  for (const auto& name : {"acme-health-plan.json", "bluestone-health.json"}) {
    std::ifstream in(test::example_rules_dir() / name);
    std::stringstream text;
    text << in.rdbuf();
    BOOST_TEST(config::check_rule_set(text.str(), name).warnings.empty(), name);
  }
}

BOOST_AUTO_TEST_CASE(ISSUE15_payer_numbers_are_kept_as_written) {
  auto set = config::parse_rule_set(rule_set_with_outcome(R"({"covered":"covered","pa-needed":"no-auth",
      "detail":[{"category":"cat-limitation","code":{"code":"allowed-quantity"},
                 "value":{"quantity":{"value":1.50,"unit":"mg","comparator":"<="}}},
                {"category":"cat-limitation","code":{"code":"allowed-quantity"},
                 "value":{"quantity":{"value":100.00}}},
                {"category":"cat-limitation","code":{"code":"allowed-quantity"},
                 "value":{"quantity":{"value":1E2}}},
                {"category":"cat-limitation","code":{"code":"allowed-quantity"},
                 "value":{"quantity":{"value":12345678901234567890123456789.0}}}]})"),
                                    "p.json");
  BOOST_TEST_REQUIRE(set.ok(), (set.ok() ? "" : set.error().message));
  const auto& details = set->rules.front().outcome.details;
  BOOST_TEST_REQUIRE(details.size() == 4u);
  BOOST_TEST(details[0].value_json == R"({"value":1.50,"unit":"mg","comparator":"<="})");
  BOOST_TEST(details[1].value_json == R"({"value":100.00})");
  BOOST_TEST(details[2].value_json == R"({"value":1E2})");
  BOOST_TEST(details[3].value_json == R"({"value":12345678901234567890123456789.0})");
}

BOOST_AUTO_TEST_SUITE_END()
