#pragma once
// A loaded, initialised plugin and helpers to call it the way a host does:
// engines from configuration JSON, results turned into text the test owns.

#include <boost/test/unit_test.hpp>
#include <string>

#include "plugin/plugin_library.hpp"
#include "support/fixtures.hpp"

namespace crdex::test {

struct PluginFixture {
  PluginLibrary library;
  const PluginApi& crdex = library.api();

  PluginFixture() { BOOST_TEST_REQUIRE(crdex.init(CRDEX_ABI_VERSION) == CRDEX_OK); }
  ~PluginFixture() { crdex.shutdown(); }

  ResultPtr own(crdex_result* result) const { return ResultPtr(result, ResultDeleter{crdex.result_free}); }

  // {"rules_dir": "<dir>"} with the path JSON-escaped enough for test paths.
  static std::string rules_dir_config(const std::filesystem::path& dir) {
    return R"({"rules_dir":")" + dir.string() + R"("})";
  }

  // An engine over `config_json`; fails the test when creation fails.
  crdex_engine* engine(const std::string& config_json, const crdex_host* host = nullptr) const {
    crdex_engine* engine = nullptr;
    const crdex_status status = crdex.engine_create(host, config_json.data(), config_json.size(), &engine);
    BOOST_TEST_REQUIRE(status == CRDEX_OK, crdex.status_name(status) << ": " << crdex.last_error_message());
    return engine;
  }
  crdex_engine* engine_for_dir(const std::filesystem::path& dir) const { return engine(rules_dir_config(dir)); }
  crdex_engine* example_engine() const { return engine_for_dir(example_rules_dir()); }

  // Evaluates `request` for `service` and keeps the result.
  ResultPtr evaluate(const crdex_engine* engine, const std::string& service, const std::string& request) const {
    crdex_result* result = nullptr;
    crdex.engine_evaluate(engine, service.data(), service.size(), request.data(), request.size(), &result);
    BOOST_TEST_REQUIRE(result != nullptr);
    return own(result);
  }

  std::string json(const ResultPtr& result) const {
    size_t length = 0;
    const char* text = crdex.result_json(result.get(), &length);
    return text ? std::string(text, length) : std::string();
  }
  std::string outcome(const ResultPtr& result) const {
    size_t length = 0;
    const char* text = crdex.result_operation_outcome(result.get(), &length);
    return text ? std::string(text, length) : std::string();
  }

  static std::string order_sign_request() { return read_file(source_dir() / "examples/requests/order-sign.json"); }
};

}  // namespace crdex::test
