// Discovery (GET /cds-services) generated from the service registry
// (CH-01, CH-02, CH-03, CH-14, CRD-02, CRD-03, CRD-04, CRD-05).
#include <boost/test/unit_test.hpp>
#include <set>

#include "hooks/engine_fixture.hpp"

using namespace crdex;

BOOST_FIXTURE_TEST_SUITE(hooks_discovery, test::EngineFixture)

BOOST_AUTO_TEST_CASE(CH01_CH02_CRD01_a_service_for_each_of_the_six_crd_hooks) {
  test::Json discovery(engine.discovery());
  std::set<std::string> hooks;
  for (auto service : discovery.root()["services"].get_array()) {
    for (const char* field : {"hook", "id", "title", "description"})
      BOOST_TEST(!std::string_view(service[field]).empty(), field);
    hooks.insert(std::string(std::string_view(service["hook"])));
  }
  BOOST_TEST((hooks == std::set<std::string>{"order-sign", "order-select", "order-dispatch", "appointment-book",
                                             "encounter-start", "encounter-discharge"}));
  BOOST_TEST(test::empty_values(discovery.root()).empty());
}

BOOST_AUTO_TEST_CASE(CRD42_prefetch_templates_are_the_crd_standard_ones) {
  // The CRD guide's own discovery document is the reference for the templates.
  test::Json guide(test::read_fixture("crd-ig/CRDServices.json"));
  test::Json ours(engine.discovery());
  for (auto service : ours.root()["services"].get_array()) {
    const std::string_view hook = service["hook"];
    simdjson::dom::element guide_service;
    for (auto candidate : guide.root()["services"].get_array())
      if (std::string_view(candidate["hook"]) == hook) guide_service = candidate;
    size_t keys = 0;
    for (auto field : service["prefetch"].get_object()) {
      ++keys;
      BOOST_TEST(std::string_view(field.value) == std::string_view(guide_service["prefetch"][field.key]),
                 hook << " " << field.key);
    }
    BOOST_TEST(keys == guide_service["prefetch"].get_object().value().size());
  }
}

BOOST_AUTO_TEST_CASE(CH14_prefetch_tokens_are_delimited_and_rooted_in_context_or_prior_keys) {
  test::Json ours(engine.discovery());
  for (auto service : ours.root()["services"].get_array()) {
    for (auto field : service["prefetch"].get_object()) {
      std::string_view query = field.value;
      size_t at = 0;
      while ((at = query.find("{{", at)) != std::string_view::npos) {
        const auto end = query.find("}}", at);
        BOOST_TEST_REQUIRE(end != std::string_view::npos);
        const auto token = query.substr(at + 2, end - at - 2);
        BOOST_TEST((token.starts_with("context.") || token.starts_with("%")), token);
        at = end + 2;
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(CRD02_CRD03_CRD04_CRD05_version_and_configuration_options) {
  test::Json discovery(engine.discovery());
  for (auto service : discovery.root()["services"].get_array()) {
    auto versions = service["extension"]["davinci-crd.version"].get_array().value();
    BOOST_TEST(std::string_view(versions.at(0)) == "2.2");
    std::set<std::string_view> codes, names, descriptions;
    size_t count = 0;
    for (auto option : service["extension"]["davinci-crd.configuration-options"].get_array()) {
      ++count;
      codes.insert(option["code"]);
      names.insert(option["name"]);
      descriptions.insert(option["description"]);
      const std::string_view type = option["type"];
      BOOST_TEST((type == "boolean" || type == "integer"));
      simdjson::dom::element default_value;
      BOOST_TEST(option["default"].get(default_value) == simdjson::SUCCESS);
    }
    BOOST_TEST(codes.size() == count);
    BOOST_TEST(names.size() == count);
    BOOST_TEST(descriptions.size() == count);
    // One option per card type the loaded rules can return, plus max-cards.
    for (const auto* code : {"coverage-info", "guideline", "therapy-alternatives-opt", "max-cards"})
      BOOST_TEST(codes.count(code) == 1u, code);
  }
}

BOOST_AUTO_TEST_SUITE_END()
