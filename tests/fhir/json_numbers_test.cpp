// Numbers exactly as written (issue 15): the parse accepts every JSON number,
// and a value copied with write_raw() / minified() keeps its spelling.
#include <boost/test/unit_test.hpp>

#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/json_writer.hpp"

using namespace crdex;

namespace {

// The issue's values, each as an EHR may write it.
const std::vector<std::string> kSpelledNumbers = {
    "1.50", "100.00", "1E2", "1e2", "-0", "-0.0", "0.10", "1.000000000000000000001",
    "3.141592653589793238462643383279",        // 31 digits after the point
    "1234567890123456789012345678901",         // 31 digits, beyond 64 bits
    "18446744073709551616",                    // 2^64
    "-9223372036854775809",                    // below INT64_MIN
    "123456789012345678901234567890.12345",    // big with a fraction
    "1e400", "2.5E-3", "42", "-17", "18446744073709551615"};

std::string numbers_object_text() {
  std::string text = R"({"note":"a \"quoted\" 1.50 and \\ 2.0 in a string","values":[)";
  for (size_t i = 0; i < kSpelledNumbers.size(); ++i) text += (i ? ", " : "") + kSpelledNumbers[i];
  return text + R"(],"nested":{"quantity":{"value":1.50,"unit":"mg"},"x":[ 100.00 ,{"y":1E2}]}})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_json_numbers)

BOOST_AUTO_TEST_CASE(ISSUE15_number_tokens_skip_strings) {
  const auto tokens = fhir::number_tokens(R"({"a":"1.5 \" 2","b":[-1.50,3e2],"c\\":4})");
  BOOST_TEST_REQUIRE(tokens.size() == 3u);
  BOOST_TEST(tokens[0] == "-1.50");
  BOOST_TEST(tokens[1] == "3e2");
  BOOST_TEST(tokens[2] == "4");
}

BOOST_AUTO_TEST_CASE(ISSUE15_every_valid_number_is_accepted) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  for (const auto& number : kSpelledNumbers) {
    const std::string text = R"({"value":)" + number + "}";
    BOOST_TEST((fhir::parse_json(parser, text, root) == simdjson::SUCCESS), number);
  }
  // Not JSON stays not JSON.
  BOOST_TEST((fhir::parse_json(parser, R"({"value":01})", root) != simdjson::SUCCESS));
  BOOST_TEST((fhir::parse_json(parser, R"({"value":1.})", root) != simdjson::SUCCESS));
  BOOST_TEST((fhir::parse_json(parser, R"({"value":})", root) != simdjson::SUCCESS));
}

BOOST_AUTO_TEST_CASE(ISSUE15_beyond_64_bits_reads_as_a_close_double) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  BOOST_TEST_REQUIRE((fhir::parse_json(parser, R"({"v":18446744073709551616,"w":1.50})", root) == simdjson::SUCCESS));
  BOOST_TEST(double(root["v"]) == 18446744073709551616.0);
  BOOST_TEST(double(root["w"]) == 1.5);
}

BOOST_AUTO_TEST_CASE(ISSUE15_copied_values_keep_their_spelling) {
  const std::string text = numbers_object_text();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  BOOST_TEST_REQUIRE((fhir::parse_json(parser, text, root) == simdjson::SUCCESS));
  const fhir::SourceSpelling spelling(parser, text);
  const std::string out = fhir::minified(root);
  std::string expected = R"({"note":"a \"quoted\" 1.50 and \\ 2.0 in a string","values":[)";
  for (size_t i = 0; i < kSpelledNumbers.size(); ++i) expected += (i ? "," : "") + kSpelledNumbers[i];
  expected += R"(],"nested":{"quantity":{"value":1.50,"unit":"mg"},"x":[100.00,{"y":1E2}]}})";
  BOOST_TEST(out == expected);
  // A part of the document too, through the Writer.
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartArray();
  fhir::write_raw(w, root["nested"]["quantity"].value());
  fhir::write_raw(w, root["values"].at(1).value());
  w.EndArray();
  BOOST_TEST(std::string(buffer.GetString()) == R"([{"value":1.50,"unit":"mg"},100.00])");
}

BOOST_AUTO_TEST_CASE(ISSUE15_without_the_source_numbers_come_from_their_value) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const std::string text = R"({"v":1.50})";
  BOOST_TEST_REQUIRE((fhir::parse_json(parser, text, root) == simdjson::SUCCESS));
  {
    const fhir::SourceSpelling spelling(parser, text);
    BOOST_TEST(fhir::minified(root) == R"({"v":1.50})");
  }
  BOOST_TEST(fhir::minified(root) == R"({"v":1.5})");
  // A text that is not the document's is not trusted.
  const std::string other = R"({"v":2.50})";
  const fhir::SourceSpelling wrong(parser, other);
  BOOST_TEST(fhir::minified(root) == R"({"v":1.5})");
}

BOOST_AUTO_TEST_SUITE_END()
