// crdex::cards: the coverage-information system action changes nothing but the
// extension (CRD-13, CRD-14, CRD-16), and orders are read by resource type.
#include <boost/test/unit_test.hpp>

#include "crdex/cards/coverage_information_action.hpp"
#include "crdex/config/rule_catalog.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;

namespace {

std::string action_json(const cards::OrderUnderReview& order, const cards::CoverageDecision& decision) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  cards::write_coverage_information_action(w, order, decision);
  return {buffer.GetString(), buffer.GetSize()};
}

config::CoverageOutcome covered_no_auth() {
  config::CoverageOutcome o;
  o.covered = "covered";
  o.pa_needed = "no-auth";
  return o;
}

// Every member of `original` except `extension` is in `updated` unchanged, and
// `updated` adds nothing but `extension`.
void check_only_extension_differs(simdjson::dom::element original, simdjson::dom::element updated) {
  size_t original_members = 0;
  for (auto field : original.get_object()) {
    ++original_members;
    if (field.key == "extension") continue;
    simdjson::dom::element same;
    BOOST_TEST_REQUIRE(updated[field.key].get(same) == simdjson::SUCCESS, "missing " << field.key);
    BOOST_TEST(test::minified(same) == test::minified(field.value), "changed " << field.key);
  }
  size_t updated_members = 0;
  for (auto field : updated.get_object()) {
    ++updated_members;
    simdjson::dom::element before;
    if (field.key != "extension")
      BOOST_TEST(original[field.key].get(before) == simdjson::SUCCESS, "added " << field.key);
  }
  simdjson::dom::element had_extension;
  const bool original_has_extension = original["extension"].get(had_extension) == simdjson::SUCCESS;
  BOOST_TEST(updated_members == original_members + (original_has_extension ? 0 : 1));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cards_coverage_information)

BOOST_AUTO_TEST_CASE(CRD14_update_changes_only_the_coverage_information_extension) {
  test::Json request(test::read_fixture("crd-ig/CRDServiceRequest.json"));
  for (auto entry : request.root()["context"]["draftOrders"]["entry"].get_array()) {
    auto resource = entry["resource"].value();
    const auto order = cards::read_order("ServiceRequest", std::string_view(resource["id"]), resource);
    const auto decision = cards::synthesized_decision(covered_no_auth(), "Coverage/COV1");
    test::Json action(action_json(order, decision));
    BOOST_TEST(std::string_view(action.root()["type"]) == "update");
    BOOST_TEST(!std::string_view(action.root()["description"]).empty());
    check_only_extension_differs(resource, action.root()["resource"].value());
    BOOST_TEST(test::empty_values(action.root()).empty());
  }
}

BOOST_AUTO_TEST_CASE(CRD16_required_sub_extensions_appear_exactly_once) {
  test::Json order_json(R"({"resourceType":"ServiceRequest","id":"1","status":"draft"})");
  const auto order = cards::read_order("ServiceRequest", "1", order_json.root());
  const auto decision = cards::synthesized_decision(covered_no_auth(), "Coverage/COV1");
  test::Json action(action_json(order, decision));
  const auto parts = test::coverage_information_parts(action.root()["resource"].value());
  for (const auto* required : {"coverage", "covered", "date", "coverage-assertion-id"}) {
    BOOST_TEST(std::count_if(parts.begin(), parts.end(), [&](const auto& p) { return p.first == required; }) == 1,
               required);
  }
  BOOST_TEST(test::coverage_information_code(action.root()["resource"].value(), "coverage-assertion-id") ==
             decision.assertion_id);
  // The extension sits where FHIR JSON puts it: after id, before the data elements.
  BOOST_TEST(test::minified(action.root()["resource"].value()).find(R"("id":"1","extension":[)") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(earlier_coverage_information_for_the_same_coverage_is_replaced_others_kept) {
  test::Json order_json(R"({"resourceType":"ServiceRequest","id":"1","extension":[
      {"url":"http://example.org/ehr-flag","valueBoolean":true},
      {"url":"http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information","extension":[
        {"url":"coverage","valueReference":{"reference":"http://ehr/fhir/Coverage/COV1"}},
        {"url":"covered","valueCode":"not-covered"}]},
      {"url":"http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information","extension":[
        {"url":"coverage","valueReference":{"reference":"Coverage/OTHER"}},
        {"url":"covered","valueCode":"covered"}]}],"status":"draft"})");
  const auto order = cards::read_order("ServiceRequest", "1", order_json.root());
  test::Json action(action_json(order, cards::synthesized_decision(covered_no_auth(), "Coverage/COV1")));
  auto extensions = action.root()["resource"]["extension"].get_array().value();
  BOOST_TEST_REQUIRE(extensions.size() == 3u);
  BOOST_TEST(std::string_view(extensions.at(0)["url"]) == "http://example.org/ehr-flag");
  BOOST_TEST(std::string_view(extensions.at(1)["extension"].at(0)["valueReference"]["reference"]) ==
             "Coverage/OTHER");
  BOOST_TEST(std::string_view(extensions.at(2)["extension"].at(0)["valueReference"]["reference"]) ==
             "Coverage/COV1");
  BOOST_TEST(std::string_view(extensions.at(2)["extension"].at(1)["valueCode"]) == "covered");
}

BOOST_AUTO_TEST_CASE(extension_array_late_in_the_resource_is_extended_in_place) {
  test::Json order_json(R"({"resourceType":"ServiceRequest","id":"1","status":"draft",
      "extension":[{"url":"http://example.org/ehr-flag","valueBoolean":true}]})");
  const auto order = cards::read_order("ServiceRequest", "1", order_json.root());
  const auto text = action_json(order, cards::synthesized_decision(covered_no_auth(), "Coverage/COV1"));
  BOOST_TEST(text.find("\"extension\"") == text.rfind("\"extension\":[{\"url\":\"http://example.org/ehr-flag\""));
  test::Json action(text);
  BOOST_TEST(action.root()["resource"]["extension"].get_array().value().size() == 2u);
  check_only_extension_differs(order_json.root(), action.root()["resource"].value());
}

BOOST_AUTO_TEST_CASE(malformed_extension_member_is_replaced_by_ours) {
  test::Json order_json(R"({"resourceType":"ServiceRequest","id":"1","status":"draft","extension":"oops"})");
  const auto order = cards::read_order("ServiceRequest", "1", order_json.root());
  test::Json action(action_json(order, cards::synthesized_decision(covered_no_auth(), "Coverage/COV1")));
  BOOST_TEST(action.root()["resource"]["extension"].get_array().value().size() == 1u);
  BOOST_TEST(test::minified(action.root()["resource"].value()).find("oops") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(CRD19_technical_failure_is_indeterminate_with_reason_technical) {
  test::Json order_json(R"({"resourceType":"DeviceRequest","id":"d1"})");
  const auto order = cards::read_order("DeviceRequest", "d1", order_json.root());
  const auto decision =
      cards::synthesized_decision(config::technical_failure_outcome("the payer system timed out"), "Coverage/C");
  test::Json action(action_json(order, decision));
  const auto resource = action.root()["resource"].value();
  BOOST_TEST(test::coverage_information_code(resource, "covered") == "indeterminate");
  const auto reason = test::coverage_information_code(resource, "reason");
  BOOST_TEST(reason.find(R"("code":"technical")") != std::string::npos);
  BOOST_TEST(reason.find("the payer system timed out") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_outcome_field_is_written) {
  auto catalog = config::RuleCatalog::load_directory(test::example_rules_dir());
  BOOST_TEST_REQUIRE(catalog.ok());
  const auto& acme = (*catalog)->payers().at(0);
  test::Json order_json(R"({"resourceType":"ServiceRequest","id":"s","code":{"coding":[
      {"system":"http://www.ama-assn.org/go/cpt","code":"77067"}]}})");
  const auto order = cards::read_order("ServiceRequest", "s", order_json.root());
  const auto decision = cards::decide(**catalog, acme, order, "Coverage/C");
  BOOST_TEST(decision.rule_id == "screening-mammography");
  test::Json action(action_json(order, decision));
  const auto detail = test::coverage_information_code(action.root()["resource"].value(), "detail");
  BOOST_TEST(detail.find(R"({"url":"category","valueCode":"cat-limitation"})") != std::string::npos);
  BOOST_TEST(detail.find(R"("valueString":"one screening every 12 months")") != std::string::npos);
  BOOST_TEST(test::empty_values(action.root()).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cards_order_codes)

BOOST_AUTO_TEST_CASE(codes_are_read_from_each_order_type) {
  struct Case {
    const char* type;
    const char* json;
    const char* expected_code;
  };
  const Case cases[] = {
      {"ServiceRequest", R"({"code":{"coding":[{"system":"s","code":"sr"}]}})", "sr"},
      {"DeviceRequest", R"({"codeCodeableConcept":{"coding":[{"system":"s","code":"dr"}]}})", "dr"},
      {"MedicationRequest", R"({"medicationCodeableConcept":{"coding":[{"system":"s","code":"mr"}]}})", "mr"},
      {"NutritionOrder", R"({"enteralFormula":{"baseFormulaType":{"coding":[{"system":"s","code":"no"}]}}})", "no"},
      {"NutritionOrder", R"({"oralDiet":{"type":[{"coding":[{"system":"s","code":"diet"}]}]}})", "diet"},
      {"VisionPrescription", R"({"lensSpecification":[{"product":{"coding":[{"system":"s","code":"vp"}]}}]})", "vp"},
      {"CommunicationRequest",
       R"({"payload":[{"extension":[{"url":"http://hl7.org/fhir/5.0/StructureDefinition/extension-CommunicationRequest.payload.content[x]",
           "valueCodeableConcept":{"coding":[{"system":"s","code":"cr"}]}}]}]})",
       "cr"},
      {"Appointment", R"({"serviceType":[{"coding":[{"system":"s","code":"ap"}]}]})", "ap"},
  };
  for (const auto& c : cases) {
    test::Json resource(c.json);
    const auto order = cards::read_order(c.type, "x", resource.root());
    BOOST_TEST_REQUIRE(order.codes.size() == 1u, c.type);
    BOOST_TEST(order.codes[0].code == c.expected_code);
  }
}

BOOST_AUTO_TEST_CASE(description_prefers_a_display_then_text_then_code) {
  test::Json with_text(R"({"code":{"text":"Knee MRI","coding":[{"system":"s","code":"73721"}]}})");
  BOOST_TEST(cards::read_order("ServiceRequest", "1", with_text.root()).description == "Knee MRI");
  test::Json code_only(R"({"code":{"coding":[{"system":"s","code":"73721"}]}})");
  BOOST_TEST(cards::read_order("ServiceRequest", "1", code_only.root()).description == "73721");
  test::Json nothing(R"({"code":"not-a-concept"})");
  const auto order = cards::read_order("ServiceRequest", "1", nothing.root());
  BOOST_TEST(order.codes.empty());
  BOOST_TEST(order.description == "ServiceRequest");
}

BOOST_AUTO_TEST_SUITE_END()
