// crdex::fhir: references, codings, JSON paths, OperationOutcome, identifiers.
#include <boost/test/unit_test.hpp>
#include <regex>
#include <set>

#include "crdex/fhir/coding.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/fhir/reference.hpp"
#include "support/json_checks.hpp"

using namespace crdex;

BOOST_AUTO_TEST_SUITE(fhir_references)

BOOST_AUTO_TEST_CASE(relative_and_absolute_references_split_into_type_and_id) {
  auto relative = fhir::parse_reference("Organization/acme-payer");
  BOOST_TEST(relative.type == "Organization");
  BOOST_TEST(relative.id == "acme-payer");
  auto absolute = fhir::parse_reference("http://example.org/someEHR/fhir/Organization/acme-payer");
  BOOST_TEST(absolute.type == "Organization");
  BOOST_TEST(absolute.id == "acme-payer");
  auto versioned = fhir::parse_reference("https://ehr/fhir/Coverage/COV1/_history/3");
  BOOST_TEST(versioned.type == "Coverage");
  BOOST_TEST(versioned.id == "COV1");
}

BOOST_AUTO_TEST_CASE(contained_urn_and_malformed_references_are_not_resource_references) {
  BOOST_TEST(!fhir::parse_reference("#patient").valid());
  BOOST_TEST(!fhir::parse_reference("urn:uuid:5b1b4c6e-0000-4000-8000-000000000000").valid());
  BOOST_TEST(!fhir::parse_reference("acme").valid());
  BOOST_TEST(!fhir::parse_reference("").valid());
  BOOST_TEST(!fhir::parse_reference("/x").valid());
  BOOST_TEST(!fhir::parse_reference("http://example.org/lower/case").valid());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fhir_codings)

BOOST_AUTO_TEST_CASE(codings_include_crd_billing_options) {
  test::Json concept_json(R"({"coding":[{"system":"http://snomed.info/sct","code":"726551006","display":"CESM"},
      {"code":"no-system"}],
    "extension":[{"url":"http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options",
      "valueCodeableConcept":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"77061"}]}},
      {"url":"http://example.org/other","valueString":"x"}]})");
  std::vector<fhir::Coding> codes;
  fhir::append_codings(concept_json.root(), codes);
  BOOST_TEST_REQUIRE(codes.size() == 2u);
  BOOST_TEST(codes[0].code == "726551006");
  BOOST_TEST(codes[0].display == "CESM");
  BOOST_TEST(codes[1].system == "http://www.ama-assn.org/go/cpt");
  BOOST_TEST(codes[1].code == "77061");
}

BOOST_AUTO_TEST_CASE(non_object_concepts_contribute_nothing) {
  test::Json value(R"(["77061", 12, null])");
  std::vector<fhir::Coding> codes;
  for (auto item : value.root().get_array()) fhir::append_codings(item, codes);
  BOOST_TEST(codes.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fhir_json_node)

BOOST_AUTO_TEST_CASE(missing_member_error_names_its_path) {
  test::Json doc(R"({"context":{"draftOrders":{"entry":[{"resource":{}}]}}})");
  fhir::JsonNode root(doc.root(), "");
  auto entry = root.at("context").at("draftOrders").at("entry").items().at(0);
  try {
    entry.at("resource").at("id");
    BOOST_FAIL("expected an error");
  } catch (const fhir::JsonShapeError& e) {
    BOOST_TEST(e.path == "context.draftOrders.entry[0].resource.id");
    BOOST_TEST(std::string(e.what()) == "context.draftOrders.entry[0].resource.id is required");
  }
}

BOOST_AUTO_TEST_CASE(type_mismatch_error_says_what_was_expected) {
  test::Json doc(R"({"userId": 42, "empty": "", "n": 5.0, "f": 5.5})");
  fhir::JsonNode root(doc.root(), "context");
  BOOST_CHECK_EXCEPTION(root.at("userId").as_string(), fhir::JsonShapeError,
                        [](const auto& e) { return std::string(e.what()) == "context.userId must be a string"; });
  BOOST_CHECK_THROW(root.at("empty").as_non_empty_string(), fhir::JsonShapeError);
  BOOST_TEST(root.at("n").as_int() == 5);
  BOOST_CHECK_THROW(root.at("f").as_int(), fhir::JsonShapeError);
  BOOST_CHECK_THROW(root.at("userId").items(), fhir::JsonShapeError);
  BOOST_TEST(!root.find("absent").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fhir_operation_outcome)

BOOST_AUTO_TEST_CASE(FH01_operation_outcome_carries_severity_code_diagnostics_and_expression) {
  const auto text = fhir::operation_outcome_json(
      {400, fhir::IssueType::required, "context.userId is required", "context.userId"});
  test::Json outcome(text);
  auto issue = outcome.root()["issue"].at(0);
  BOOST_TEST(std::string_view(outcome.root()["resourceType"]) == "OperationOutcome");
  BOOST_TEST(std::string_view(issue["severity"]) == "error");
  BOOST_TEST(std::string_view(issue["code"]) == "required");
  BOOST_TEST(std::string_view(issue["diagnostics"]) == "context.userId is required");
  BOOST_TEST(std::string_view(issue["expression"].at(0)) == "context.userId");
}

BOOST_AUTO_TEST_CASE(server_failures_are_fatal_and_omit_empty_fields) {
  test::Json outcome(fhir::operation_outcome_json({500, fhir::IssueType::exception, "internal error", ""}));
  auto issue = outcome.root()["issue"].at(0);
  BOOST_TEST(std::string_view(issue["severity"]) == "fatal");
  BOOST_TEST(std::string_view(issue["code"]) == "exception");
  BOOST_TEST(test::empty_values(outcome.root()).empty());
  simdjson::dom::element expression;
  BOOST_TEST(issue["expression"].get(expression) != simdjson::SUCCESS);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fhir_identifiers)

BOOST_AUTO_TEST_CASE(uuids_are_version_4_and_distinct) {
  const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto uuid = fhir::random_uuid();
    BOOST_TEST_REQUIRE(std::regex_match(uuid, form), uuid);
    seen.insert(uuid);
  }
  BOOST_TEST(seen.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(today_is_a_fhir_date) {
  BOOST_TEST(std::regex_match(fhir::today_utc_date(), std::regex("20[0-9]{2}-[01][0-9]-[0-3][0-9]")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fhir_json_writer)

// write_string/write_key write into RapidJSON's buffer themselves (for speed);
// their bytes must stay those of RapidJSON's own Writer.
BOOST_AUTO_TEST_CASE(strings_and_keys_are_escaped_as_rapidjson_escapes_them) {
  std::vector<std::string> samples{"", "plain text", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac / \x7f"};
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  samples.push_back(every_byte);
  samples.push_back(std::string("nul \0 inside", 12));
  for (char special : {'"', '\\', '\n', '\x1b', '\x01', '\x1f'})  // at every offset of an 8-byte step
    for (size_t at = 0; at < 20; ++at) {
      std::string s(20, 'a');
      s[at] = special;
      samples.push_back(s);
    }
  for (const auto& s : samples) {
    rapidjson::StringBuffer expected_buffer;
    rapidjson::Writer<rapidjson::StringBuffer> expected(expected_buffer);
    expected.StartObject();
    expected.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    expected.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    expected.EndObject();
    crdex::fhir::JsonBuffer buffer;
    crdex::fhir::JsonWriter w(buffer);
    w.StartObject();
    crdex::fhir::write_key(w, s);
    crdex::fhir::write_string(w, s);
    w.EndObject();
    BOOST_TEST(std::string(buffer.GetString(), buffer.GetSize()) ==
               std::string(expected_buffer.GetString(), expected_buffer.GetSize()));
  }
}

// write_raw copies a parsed value through as simdjson::minify prints it.
BOOST_AUTO_TEST_CASE(raw_values_are_copied_as_simdjson_minifies_them) {
  const std::string json =
      R"({"a" : [1, -2, 18446744073709551615, 1.5e300, 0.1, true, false, null, {}, [], ""],)"
      R"( "esc\"aped\u001b" : "q\"b\\s\/l\b\f\n\r\t\u0001\u001f\u00e9\u20ac", "deep": {"x": [{"y": [[["z"]]]}]}})";
  simdjson::dom::parser parser;
  const simdjson::dom::element root = parser.parse(json);
  crdex::fhir::JsonBuffer buffer;
  crdex::fhir::JsonWriter w(buffer);
  w.StartArray();
  crdex::fhir::write_raw(w, root);
  crdex::fhir::write_raw(w, root["esc\"aped\x1b"]);
  w.EndArray();
  BOOST_TEST(std::string(buffer.GetString(), buffer.GetSize()) ==
             "[" + simdjson::minify(root) + "," + simdjson::minify(root["esc\"aped\x1b"]) + "]");
}

BOOST_AUTO_TEST_SUITE_END()
