// CDX-15, the canonical form under CDex signatures: JCS (RFC 8785) numbers,
// strings, member order, and what is left out of a signed Bundle.
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cstdint>

#include "crdex/cdex/json_canonical.hpp"

using namespace crdex;

BOOST_AUTO_TEST_SUITE(cdex_json_canonical)

// RFC 8785 Appendix B: IEEE-754 bit patterns and their ECMAScript spelling.
BOOST_AUTO_TEST_CASE(CDX_15_jcs_numbers_are_written_as_ecmascript_writes_them) {
  const std::pair<uint64_t, const char*> cases[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},  // -0
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& [bits, expected] : cases) {
    BOOST_TEST(cdex::es6_number(std::bit_cast<double>(bits)) == expected, "bits " << std::hex << bits);
  }
  BOOST_TEST(cdex::es6_number(1.5) == "1.5");
  BOOST_TEST(cdex::es6_number(100) == "100");
  BOOST_TEST(cdex::es6_number(0.1) == "0.1");
  BOOST_TEST(cdex::es6_number(1e-7) == "1e-7");
  BOOST_TEST(cdex::es6_number(123e20) == "1.23e+22");
}

// RFC 8785 §3.2.2's sample: every spelling of the same numbers and strings.
BOOST_AUTO_TEST_CASE(CDX_15_jcs_the_rfc_sample_canonicalizes_exactly) {
  const std::string input =
      "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
      "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
      "  \"literals\": [null, true, false]\n}";
  auto canonical = cdex::canonical_json(input);
  BOOST_REQUIRE(canonical.ok());
  BOOST_TEST(*canonical ==
             "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
             "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// Members sort by UTF-16 code units: U+1F600 (a surrogate pair, D83D DE00)
// comes before U+FB33 although its code point is larger (RFC 8785 §3.2.3).
BOOST_AUTO_TEST_CASE(CDX_15_jcs_members_sort_by_utf16_code_units) {
  const std::string input =
      "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
      "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small "
      "Letter O With Diaeresis\"}";
  auto canonical = cdex::canonical_json(input);
  BOOST_REQUIRE(canonical.ok());
  const std::string& text = *canonical;
  const auto at = [&](const char* key) { return text.find(key); };
  BOOST_TEST(at("Carriage Return") < at("One"));
  BOOST_TEST(at("One") < at("Control"));
  BOOST_TEST(at("Control") < at("Diaeresis"));
  BOOST_TEST(at("Diaeresis") < at("Euro Sign"));
  BOOST_TEST(at("Euro Sign") < at("Grinning Face"));
  BOOST_TEST(at("Grinning Face") < at("Dagesh"));
}

BOOST_AUTO_TEST_CASE(CDX_15_jcs_leaves_out_root_members_only_at_the_root) {
  const std::string bundle =
      R"({"resourceType":"Bundle","id":"b1","meta":{"versionId":"2"},"signature":{"data":"x"},)"
      R"("entry":[{"resource":{"resourceType":"Patient","id":"p1","meta":{"versionId":"7"}}}]})";
  auto canonical = cdex::canonical_json(bundle, {"id", "meta", "signature"});
  BOOST_REQUIRE(canonical.ok());
  BOOST_TEST(*canonical ==
             R"({"entry":[{"resource":{"id":"p1","meta":{"versionId":"7"},"resourceType":"Patient"}}],)"
             R"("resourceType":"Bundle"})");
}

BOOST_AUTO_TEST_CASE(CDX_15_jcs_refuses_duplicate_members_and_non_json) {
  auto duplicate = cdex::canonical_json(R"({"a":1,"b":{"c":1,"c":2}})");
  BOOST_REQUIRE(!duplicate.ok());
  BOOST_TEST(duplicate.error().http_status == 400);
  BOOST_TEST(duplicate.error().message.find("\"c\" appears twice") != std::string::npos, duplicate.error().message);
  auto broken = cdex::canonical_json(R"({"a":)");
  BOOST_REQUIRE(!broken.ok());
  BOOST_TEST(broken.error().message.find("not JSON") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
