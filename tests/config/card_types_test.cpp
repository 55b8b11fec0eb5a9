// The one table of CRD card types against the CRD code system
// (http://terminology.hl7.org/CodeSystem/cdshooks-card-type, CRD 2.x
// "CRD Response Types"; before 2.1 CodeSystem "temp"): every code, its
// display as the code system gives it, each once.

#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>

#include "crdex/config/card_types.hpp"

using crdex::config::find_card_type;
using crdex::config::kCardTypes;

BOOST_AUTO_TEST_SUITE(config_card_types)

BOOST_AUTO_TEST_CASE(CRD28_codes_and_displays_are_the_code_systems) {
  const std::map<std::string, std::string> code_system{
      {"coverage-info", "Coverage Information"},
      {"unsolicited-determ", "Unsolicited Determination"},
      {"claim", "Claim"},
      {"insurance", "Insurance"},
      {"limits", "Limits"},
      {"network", "Network"},
      {"appropriate-use", "Appropriate Use"},
      {"cost", "Cost"},
      {"therapy-alternatives-opt", "Optional Therapy Alternatives"},
      {"therapy-alternatives-req", "Required Therapy Alternatives"},
      {"clinical-reminder", "Clinical Reminder"},
      {"duplicate-therapy", "Duplicate Therapy"},
      {"contraindication", "Contraindication"},
      {"guideline", "Guideline"},
      {"off-guideline", "Off Guideline"},
  };
  BOOST_TEST(kCardTypes.size() == code_system.size());
  std::set<std::string_view> codes;
  for (const auto& type : kCardTypes) {
    BOOST_TEST(codes.insert(type.code).second, type.code);
    const auto expected = code_system.find(std::string(type.code));
    BOOST_REQUIRE_MESSAGE(expected != code_system.end(), type.code);
    BOOST_TEST(type.display == expected->second, type.code);
    BOOST_TEST(!type.description.empty(), type.code);
  }
  BOOST_TEST(crdex::config::kCardTypeSystem == "http://terminology.hl7.org/CodeSystem/cdshooks-card-type");
}

BOOST_AUTO_TEST_CASE(lookup_by_code) {
  BOOST_REQUIRE(find_card_type("guideline"));
  BOOST_TEST(find_card_type("guideline")->display == "Guideline");
  BOOST_TEST(!find_card_type("guidelines"));
  BOOST_TEST(!find_card_type(""));
}

BOOST_AUTO_TEST_SUITE_END()
