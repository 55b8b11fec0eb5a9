// The engine through the C ABI: the CRD guide's order-sign example evaluated
// in-process, the statuses the server would give for bad requests, discovery,
// rule replacement and reload, logging, and the library's life cycle
// (repeated dlopen/dlclose, no threads left behind).
#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/hooks/engine.hpp"
#include "plugin/plugin_fixture.hpp"
#include "support/json_checks.hpp"

using namespace crdex::test;

namespace {

constexpr const char* kOrderSignId = "crdex-order-sign";
const std::string kAcmeSummary = "Prior authorization required for contrast mammography";

// The example Acme rules with the mammography card's summary changed.
std::string acme_rules_with_summary(const std::string& summary) {
  std::string rules = read_file(example_rules_dir() / "acme-health-plan.json");
  const auto at = rules.find(kAcmeSummary);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  return rules.replace(at, kAcmeSummary.size(), summary);
}

// The engine crdex-server runs, built directly over the same example rules:
// the plugin must answer exactly what it answers.
crdex::hooks::Engine direct_engine() {
  auto rules = crdex::config::RuleCatalog::load_directory(example_rules_dir());
  BOOST_TEST_REQUIRE(rules.ok());
  return crdex::hooks::Engine(std::move(rules).value());
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

struct LogLines {
  std::vector<std::pair<crdex_log_level, std::string>> lines;
  static void record(void* user_data, crdex_log_level level, const char* message, size_t length) {
    static_cast<LogLines*>(user_data)->lines.emplace_back(level, std::string(message, length));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(plugin_engine, PluginFixture)

BOOST_AUTO_TEST_CASE(CH04_CRD11_plugin_evaluates_the_guide_order_sign_example) {
  crdex_engine* engine = example_engine();
  const auto result = evaluate(engine, kOrderSignId, order_sign_request());
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  BOOST_TEST(crdex.result_http_status(result.get()) == 200);
  BOOST_TEST(crdex.result_operation_outcome(result.get(), nullptr) == nullptr);
  BOOST_TEST(std::string(crdex.result_message(result.get())).empty());

  const Json answer(json(result));
  auto actions = answer.root()["systemActions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 2u);
  BOOST_TEST(coverage_information_code(actions.at(0)["resource"].value(), "pa-needed") == "auth-needed");
  BOOST_TEST(coverage_information_code(actions.at(1)["resource"].value(), "covered") == "conditional");
  bool pa_card = false;  // 1357 needs prior authorization: the payer's card says so
  for (auto card : answer.root()["cards"].get_array())
    pa_card = pa_card || std::string_view(card["summary"]) == kAcmeSummary;
  BOOST_TEST(pa_card);
  BOOST_TEST(empty_values(answer.root()).empty());
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(HK01_plugin_gives_the_servers_status_and_operation_outcome_for_bad_requests) {
  crdex_engine* engine = example_engine();

  const auto not_json = evaluate(engine, kOrderSignId, R"({"hook": "order-sign", )");
  BOOST_TEST(crdex.result_status(not_json.get()) == CRDEX_E_BAD_REQUEST);
  BOOST_TEST(crdex.result_http_status(not_json.get()) == 400);
  BOOST_TEST(std::string(crdex.result_message(not_json.get())).find("not valid JSON") != std::string::npos);
  BOOST_TEST(std::string(crdex.last_error_message()) == crdex.result_message(not_json.get()));
  BOOST_TEST(crdex.result_json(not_json.get(), nullptr) == nullptr);
  const Json outcome_json(outcome(not_json));
  BOOST_TEST(std::string_view(outcome_json.root()["resourceType"]) == "OperationOutcome");
  BOOST_TEST(std::string_view(outcome_json.root()["issue"].at(0)["code"]) == "structure");

  const auto empty = evaluate(engine, kOrderSignId, "");
  BOOST_TEST(crdex.result_http_status(empty.get()) == 400);

  const auto no_context = evaluate(engine, kOrderSignId, R"({"hook":"order-sign","hookInstance":"x"})");
  BOOST_TEST(crdex.result_status(no_context.get()) == CRDEX_E_BAD_REQUEST);
  BOOST_TEST(!std::string(crdex.result_message(no_context.get())).empty());

  // Byte for byte what the server's engine answers.
  const auto server_answer = direct_engine().call_service(kOrderSignId, R"({"hook": "order-sign", )");
  BOOST_TEST(crdex.result_http_status(not_json.get()) == server_answer.status);
  BOOST_TEST(outcome(not_json) == server_answer.body);

  const auto unknown = evaluate(engine, "no-such-service", order_sign_request());
  BOOST_TEST(crdex.result_status(unknown.get()) == CRDEX_E_NOT_FOUND);
  BOOST_TEST(crdex.result_http_status(unknown.get()) == 404);
  BOOST_TEST(std::string(crdex.result_message(unknown.get())).find("no-such-service") != std::string::npos);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CH01_plugin_discovery_is_the_servers_discovery) {
  crdex_engine* engine = example_engine();
  crdex_result* raw = nullptr;
  BOOST_TEST_REQUIRE(crdex.engine_discovery(engine, &raw) == CRDEX_OK);
  const auto result = own(raw);
  BOOST_TEST(crdex.result_http_status(result.get()) == 200);
  BOOST_TEST(json(result) == direct_engine().discovery());
  const Json discovery(json(result));
  std::vector<std::string> ids;
  for (auto service : discovery.root()["services"].get_array()) ids.emplace_back(std::string_view(service["id"]));
  BOOST_TEST((std::find(ids.begin(), ids.end(), kOrderSignId) != ids.end()));
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(PLUGIN_replace_rules_is_all_or_nothing) {
  crdex_engine* engine = example_engine();
  const std::string replacement = R"({"rule_sets":[)" + acme_rules_with_summary("Replaced summary") + "]}";
  BOOST_TEST_REQUIRE(crdex.engine_replace_rules(engine, replacement.data(), replacement.size()) == CRDEX_OK);
  BOOST_TEST(json(evaluate(engine, kOrderSignId, order_sign_request())).find("Replaced summary") != std::string::npos);

  // An invalid rule set changes nothing, and the message names where it is wrong.
  std::string invalid = R"({"rule_sets":[)" + acme_rules_with_summary("Never seen") + "]}";
  invalid.replace(invalid.find(R"("pa-needed": "auth-needed")"), 26, R"("pa-needed": "perhaps")");
  BOOST_TEST(crdex.engine_replace_rules(engine, invalid.data(), invalid.size()) == CRDEX_E_CONFIG);
  const std::string message = crdex.last_error_message();
  BOOST_TEST(message.find("rule_sets[0]") != std::string::npos, message);
  BOOST_TEST(message.find("pa-needed") != std::string::npos, message);
  BOOST_TEST(json(evaluate(engine, kOrderSignId, order_sign_request())).find("Replaced summary") != std::string::npos);

  BOOST_TEST(crdex.engine_replace_rules(engine, "{", 1) == CRDEX_E_BAD_JSON);
  // Inline rules leave nothing to reload.
  BOOST_TEST(crdex.engine_reload_rules(engine) == CRDEX_E_CONFIG);
  BOOST_TEST(std::string(crdex.last_error_message()).find("inline") != std::string::npos);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(PLUGIN_reload_reads_the_rules_directory_again) {
  TempDir dir;
  for (const auto& file : std::filesystem::directory_iterator(example_rules_dir()))
    std::filesystem::copy_file(file.path(), dir.path() / file.path().filename());
  crdex_engine* engine = engine_for_dir(dir.path());

  write_file(dir.path() / "acme-health-plan.json", acme_rules_with_summary("Reloaded summary"));
  BOOST_TEST_REQUIRE(crdex.engine_reload_rules(engine) == CRDEX_OK, crdex.last_error_message());
  BOOST_TEST(json(evaluate(engine, kOrderSignId, order_sign_request())).find("Reloaded summary") != std::string::npos);

  write_file(dir.path() / "broken.json", "{ not json");
  BOOST_TEST(crdex.engine_reload_rules(engine) == CRDEX_E_CONFIG);
  BOOST_TEST(std::string(crdex.last_error_message()).find("broken.json") != std::string::npos,
             crdex.last_error_message());
  BOOST_TEST(json(evaluate(engine, kOrderSignId, order_sign_request())).find("Reloaded summary") != std::string::npos);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(PLUGIN_host_log_callback_hears_creation_and_failures) {
  LogLines log;
  const crdex_host host{sizeof(crdex_host), CRDEX_HOST_VERSION, &log, &LogLines::record, nullptr};
  crdex_engine* engine = this->engine(rules_dir_config(example_rules_dir()), &host);
  BOOST_TEST_REQUIRE(log.lines.size() == 1u);
  BOOST_TEST(log.lines[0].first == CRDEX_LOG_INFO);
  BOOST_TEST(log.lines[0].second.find("engine created with ") == 0u, log.lines[0].second);

  BOOST_TEST(crdex.engine_replace_rules(engine, "{}", 2) == CRDEX_E_CONFIG);
  BOOST_TEST_REQUIRE(log.lines.size() == 2u);
  BOOST_TEST(log.lines[1].first == CRDEX_LOG_ERROR);
  BOOST_TEST(log.lines[1].second.find("rules not replaced") != std::string::npos);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(PLUGIN_evaluations_run_concurrently_with_rule_replacement) {
  crdex_engine* engine = example_engine();
  const std::string request = order_sign_request();
  const std::string original = rules_dir_config(example_rules_dir());
  const std::string replacement = R"({"rule_sets":[)" + acme_rules_with_summary("Replaced summary") + "]}";
  // Boost.Test assertions are not thread-safe: workers count, the test checks.
  std::atomic<int> evaluated{0}, failed{0}, answered_by_neither{0};
  std::vector<std::thread> workers;
  for (int worker = 0; worker < 4; ++worker)
    workers.emplace_back([&] {
      for (int call = 0; call < 100; ++call) {
        crdex_result* raw = nullptr;
        if (crdex.engine_evaluate(engine, kOrderSignId, 16, request.data(), request.size(), &raw) != CRDEX_OK) ++failed;
        const std::string answer = json(own(raw));
        // Each call sees one whole rule set, the old or the new, never a mix.
        const bool old_rules = answer.find(kAcmeSummary) != std::string::npos;
        const bool new_rules = answer.find("Replaced summary") != std::string::npos;
        if (old_rules == new_rules) ++answered_by_neither;
        ++evaluated;
      }
    });
  int replaced = 0;
  for (int round = 0; round < 20; ++round) {
    const std::string& config = round % 2 ? original : replacement;
    replaced += crdex.engine_replace_rules(engine, config.data(), config.size()) == CRDEX_OK;
  }
  for (auto& worker : workers) worker.join();
  BOOST_TEST(replaced == 20);
  BOOST_TEST(evaluated == 400);
  BOOST_TEST(failed == 0);
  BOOST_TEST(answered_by_neither == 0);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(PLUGIN_results_outlive_their_engine) {
  crdex_engine* engine = example_engine();
  auto result = evaluate(engine, kOrderSignId, order_sign_request());
  crdex.engine_destroy(engine);
  BOOST_TEST(json(result).find(kAcmeSummary) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plugin_lifecycle)

BOOST_AUTO_TEST_CASE(PLUGIN_repeated_dlopen_dlclose_leaves_no_threads) {
  const size_t threads_before = thread_count();
  for (int round = 0; round < 20; ++round) {
    PluginFixture plugin;
    crdex_engine* engine = plugin.example_engine();
    const auto result = plugin.evaluate(engine, kOrderSignId, PluginFixture::order_sign_request());
    BOOST_TEST_REQUIRE(plugin.crdex.result_status(result.get()) == CRDEX_OK);
    plugin.crdex.engine_destroy(engine);
    BOOST_TEST(thread_count() == threads_before);
  }
  BOOST_TEST(thread_count() == threads_before);
}

BOOST_AUTO_TEST_SUITE_END()
