// The ABI's shape and its refusals: negotiation, counted init, versioned
// structs, NULL pointers, bad configuration, reserved functions. Everything
// goes through the dlopen'ed libcrdex.so; a failure must be a status with a
// message, never a crash.
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <string>
#include <type_traits>

#include "plugin/header_layout.h"
#include "plugin/plugin_fixture.hpp"

using namespace crdex::test;

// crdex.h compiled as C++20: the layouts are frozen (LP64) and the same as
// the C99 view (header_c99.c).
static_assert(std::is_standard_layout_v<crdex_host> && std::is_trivial_v<crdex_host>);
static_assert(sizeof(crdex_host) == 32 && offsetof(crdex_host, struct_size) == 0 &&
              offsetof(crdex_host, struct_version) == 4 && offsetof(crdex_host, user_data) == 8 &&
              offsetof(crdex_host, log) == 16 && offsetof(crdex_host, fhir_transport) == 24);
static_assert(sizeof(crdex_fhir_request) == 64 && offsetof(crdex_fhir_request, method) == 8 &&
              offsetof(crdex_fhir_request, url) == 16 && offsetof(crdex_fhir_request, url_len) == 24 &&
              offsetof(crdex_fhir_request, body) == 32 && offsetof(crdex_fhir_request, access_token_len) == 56);
static_assert(sizeof(crdex_status) == 4 && sizeof(crdex_log_level) == 4 && sizeof(crdex_feature) == 4);
static_assert(CRDEX_STATUS_MAX_ == 0x7fffffff && CRDEX_E_INTERNAL == 12 && CRDEX_E_UNSUPPORTED == 9);
static_assert(CRDEX_ABI_VERSION == 0x00010001u);
static_assert(noexcept(crdex_engine_evaluate(nullptr, nullptr, 0, nullptr, 0, nullptr)));

namespace {

crdex_host valid_host() { return crdex_host{sizeof(crdex_host), CRDEX_HOST_VERSION, nullptr, nullptr, nullptr}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_abi)

BOOST_AUTO_TEST_CASE(PLUGIN_header_layout_is_the_same_in_c99_and_cxx20) {
  crdex_layout c{};
  crdex_c99_layout(&c);
  BOOST_TEST(c.host_size == sizeof(crdex_host));
  BOOST_TEST(c.host_user_data == offsetof(crdex_host, user_data));
  BOOST_TEST(c.host_log == offsetof(crdex_host, log));
  BOOST_TEST(c.host_fhir_transport == offsetof(crdex_host, fhir_transport));
  BOOST_TEST(c.request_size == sizeof(crdex_fhir_request));
  BOOST_TEST(c.request_url_len == offsetof(crdex_fhir_request, url_len));
  BOOST_TEST(c.request_access_token_len == offsetof(crdex_fhir_request, access_token_len));
  BOOST_TEST(c.status_size == sizeof(crdex_status));
  BOOST_TEST(c.abi_version == CRDEX_ABI_VERSION);
}

BOOST_AUTO_TEST_CASE(PLUGIN_negotiation_refuses_other_majors_and_newer_minors) {
  PluginLibrary library;
  const auto& crdex = library.api();
  BOOST_TEST(crdex.abi_version() == CRDEX_ABI_VERSION);
  BOOST_TEST(std::string(crdex.version_string()).find('.') != std::string::npos);

  BOOST_TEST(crdex.init(2u << 16) == CRDEX_E_VERSION);
  BOOST_TEST(std::string(crdex.last_error_message()).find("ABI 2.0") != std::string::npos);
  BOOST_TEST(crdex.init(CRDEX_ABI_VERSION + 1) == CRDEX_E_VERSION);  // a host built for 1.2
  BOOST_TEST(crdex.init(0) == CRDEX_E_VERSION);
  // Refusals counted nothing: there is no init to shut down.
  BOOST_TEST(crdex.shutdown() == CRDEX_E_NOT_INITIALIZED);

  BOOST_TEST(crdex.init(CRDEX_ABI_VERSION) == CRDEX_OK);
  BOOST_TEST(std::string(crdex.last_error_message()).empty());
  BOOST_TEST(crdex.shutdown() == CRDEX_OK);
  // A host built against 1.0 keeps working with a 1.1 library.
  BOOST_TEST(crdex.init(1u << 16) == CRDEX_OK);
  BOOST_TEST(crdex.shutdown() == CRDEX_OK);
}

BOOST_AUTO_TEST_CASE(PLUGIN_init_is_counted_and_the_last_shutdown_waits_for_engines) {
  PluginLibrary library;
  const auto& crdex = library.api();
  const std::string config = PluginFixture::rules_dir_config(example_rules_dir());
  crdex_engine* engine = nullptr;
  BOOST_TEST(crdex.engine_create(nullptr, config.data(), config.size(), &engine) == CRDEX_E_NOT_INITIALIZED);
  BOOST_TEST(engine == nullptr);

  BOOST_TEST(crdex.init(CRDEX_ABI_VERSION) == CRDEX_OK);
  BOOST_TEST(crdex.init(CRDEX_ABI_VERSION) == CRDEX_OK);
  BOOST_TEST_REQUIRE(crdex.engine_create(nullptr, config.data(), config.size(), &engine) == CRDEX_OK);
  BOOST_TEST(crdex.shutdown() == CRDEX_OK);       // 2 -> 1
  BOOST_TEST(crdex.shutdown() == CRDEX_E_BUSY);   // the last one, with an engine alive
  BOOST_TEST(std::string(crdex.last_error_message()).find("still alive") != std::string::npos);
  crdex.engine_destroy(engine);
  BOOST_TEST(crdex.shutdown() == CRDEX_OK);
  BOOST_TEST(crdex.shutdown() == CRDEX_E_NOT_INITIALIZED);
}

BOOST_FIXTURE_TEST_CASE(PLUGIN_host_struct_with_wrong_size_or_version_is_refused, PluginFixture) {
  const std::string config = rules_dir_config(example_rules_dir());
  crdex_engine* engine = reinterpret_cast<crdex_engine*>(this);  // must be reset to NULL on failure

  crdex_host host = valid_host();
  host.struct_size = 8;
  BOOST_TEST(crdex.engine_create(&host, config.data(), config.size(), &engine) == CRDEX_E_BAD_STRUCT);
  BOOST_TEST(engine == nullptr);
  BOOST_TEST(std::string(crdex.last_error_message()).find("struct_size is 8") != std::string::npos);

  host = valid_host();
  host.struct_version = 0;
  BOOST_TEST(crdex.engine_create(&host, config.data(), config.size(), &engine) == CRDEX_E_BAD_STRUCT);
  host.struct_version = 99;
  BOOST_TEST(crdex.engine_create(&host, config.data(), config.size(), &engine) == CRDEX_E_BAD_STRUCT);
  BOOST_TEST(std::string(crdex.last_error_message()).find("struct_version is 99") != std::string::npos);

  // A longer struct of a known version is fine (a host may embed it in its own).
  host = valid_host();
  host.struct_size = sizeof(crdex_host) + 16;
  BOOST_TEST_REQUIRE(crdex.engine_create(&host, config.data(), config.size(), &engine) == CRDEX_OK);
  crdex.engine_destroy(engine);
}

BOOST_FIXTURE_TEST_CASE(PLUGIN_null_pointers_are_refused_with_messages, PluginFixture) {
  const std::string config = rules_dir_config(example_rules_dir());
  BOOST_TEST(crdex.engine_create(nullptr, config.data(), config.size(), nullptr) == CRDEX_E_INVALID_ARGUMENT);
  crdex_engine* engine = nullptr;
  BOOST_TEST(crdex.engine_create(nullptr, nullptr, 5, &engine) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(std::string(crdex.last_error_message()).find("config_json is NULL") != std::string::npos);

  crdex_result* result = nullptr;
  BOOST_TEST(crdex.engine_evaluate(nullptr, "crdex-order-sign", 16, "{}", 2, &result) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST_REQUIRE(result != nullptr);
  BOOST_TEST(crdex.result_status(result) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(std::string(crdex.result_message(result)).find("engine is NULL") != std::string::npos);
  BOOST_TEST(std::string(crdex.result_operation_outcome(result, nullptr)).find("OperationOutcome") !=
             std::string::npos);
  BOOST_TEST(crdex.result_json(result, nullptr) == nullptr);
  crdex.result_free(result);

  engine = example_engine();
  BOOST_TEST(crdex.engine_evaluate(engine, nullptr, 0, "{}", 2, nullptr) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(crdex.engine_evaluate(engine, "crdex-order-sign", 16, nullptr, 10, nullptr) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(crdex.engine_discovery(nullptr, nullptr) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(crdex.engine_replace_rules(nullptr, "{}", 2) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(crdex.engine_replace_rules(engine, nullptr, 0) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(crdex.engine_reload_rules(nullptr) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(std::string(crdex.last_error_message()).find("engine is NULL") != std::string::npos);

  // Accessors and destroyers accept NULL.
  size_t length = 99;
  BOOST_TEST(crdex.result_status(nullptr) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(crdex.result_http_status(nullptr) == 0);
  BOOST_TEST(crdex.result_json(nullptr, &length) == nullptr);
  BOOST_TEST(length == 0u);
  BOOST_TEST(crdex.result_operation_outcome(nullptr, nullptr) == nullptr);
  BOOST_TEST(std::string(crdex.result_message(nullptr)).empty());
  crdex.result_free(nullptr);
  crdex.engine_destroy(nullptr);
  crdex.engine_destroy(engine);
}

BOOST_FIXTURE_TEST_CASE(PLUGIN_malformed_or_wrong_configuration_is_refused, PluginFixture) {
  struct Case {
    std::string config;
    crdex_status status;
    std::string message_part;
  };
  const Case cases[] = {
      {R"({"rules_dir": )", CRDEX_E_BAD_JSON, "not valid JSON"},
      {"", CRDEX_E_BAD_JSON, "not valid JSON"},
      {"[]", CRDEX_E_CONFIG, "must be a JSON object"},
      {"{}", CRDEX_E_CONFIG, "exactly one of"},
      {R"({"rules_dir":"a","rule_sets":[]})", CRDEX_E_CONFIG, "exactly one of"},
      {R"({"rule_dir":"a"})", CRDEX_E_CONFIG, "unknown configuration key \"rule_dir\""},
      {R"({"rules_dir":42})", CRDEX_E_CONFIG, "non-empty string"},
      {R"({"rules_dir":"/nonexistent/crdex-rules"})", CRDEX_E_CONFIG, "not a directory"},
      {R"({"rule_sets":{}})", CRDEX_E_CONFIG, "must be an array"},
      {R"({"rule_sets":[{"schema":"crdex-rules/1"}]})", CRDEX_E_CONFIG, "rule_sets[0]"},
  };
  for (const auto& c : cases) {
    crdex_engine* engine = nullptr;
    const crdex_status status = crdex.engine_create(nullptr, c.config.data(), c.config.size(), &engine);
    const std::string message = crdex.last_error_message();
    BOOST_TEST(status == c.status, c.config << " -> " << crdex.status_name(status) << ": " << message);
    BOOST_TEST(engine == nullptr);
    BOOST_TEST(message.find(c.message_part) != std::string::npos, c.config << " -> " << message);
  }
}

BOOST_FIXTURE_TEST_CASE(PLUGIN_reserved_functions_answer_unsupported, PluginFixture) {
  BOOST_TEST(crdex.feature_available(CRDEX_FEATURE_HOOKS) == 1);
  BOOST_TEST(crdex.feature_available(CRDEX_FEATURE_DIRECT_QUERY) == 1);
  BOOST_TEST(crdex.feature_available(CRDEX_FEATURE_CDEX) == 1);
  BOOST_TEST(crdex.feature_available(CRDEX_FEATURE_SMART_LAUNCH) == 0);

  crdex_engine* engine = example_engine();
  crdex_result* result = nullptr;
  BOOST_TEST(crdex.engine_smart_launch_create(engine, "{}", 2, &result) == CRDEX_E_UNSUPPORTED);
  auto owned = own(result);
  BOOST_TEST(crdex.result_http_status(result) == 501);
  BOOST_TEST(std::string(crdex.result_message(result)).find("crdex_engine_smart_launch_create is not available") !=
             std::string::npos);
  BOOST_TEST(outcome(owned).find("not-supported") != std::string::npos);

  BOOST_TEST(crdex.engine_smart_launch_create(engine, "{}", 2, nullptr) == CRDEX_E_UNSUPPORTED);
  BOOST_TEST(crdex.engine_smart_launch_resolve(engine, "x", 1, nullptr) == CRDEX_E_UNSUPPORTED);
  BOOST_TEST(std::string(crdex.last_error_message()).find("SMART") != std::string::npos);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(PLUGIN_status_names_cover_every_code) {
  PluginLibrary library;
  BOOST_TEST(std::string(library.api().status_name(CRDEX_E_CONFIG)) == "CRDEX_E_CONFIG");
  BOOST_TEST(std::string(library.api().status_name(static_cast<crdex_status>(12345))) == "CRDEX_E_UNKNOWN");
  for (int code = CRDEX_OK; code <= CRDEX_E_INTERNAL; ++code)
    BOOST_TEST(std::string(library.api().status_name(static_cast<crdex_status>(code))) != "CRDEX_E_UNKNOWN");
}

BOOST_AUTO_TEST_SUITE_END()
