// Health probes and --version (docs/operations.md): liveness, readiness and
// its failures (a store file gone, shutting down), and what --version prints.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

// Polls `url` until it answers `status`; the deadline is a safety net only.
test::HttpResult probes_poll_until(const std::string& url, long status) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  test::HttpResult result = test::http_get(url);
  while (result.status != status && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    result = test::http_get(url);
  }
  return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(probes)

BOOST_AUTO_TEST_CASE(live_and_ready_answer_200_without_credentials) {
  test::ServerProcess server({}, {}, true, {}, /*client_auth=*/true);
  const auto live = test::http_get(server.base_url() + "/health/live");
  BOOST_TEST(live.status == 200);
  BOOST_TEST(live.body == R"({"status":"pass"})");
  BOOST_TEST(live.header("cache-control") == "no-store");
  const auto ready = test::http_get(server.base_url() + "/health/ready");
  BOOST_TEST(ready.status == 200, ready.body);
  BOOST_TEST(ready.body == R"({"status":"pass"})");
  BOOST_TEST(test::http_request("POST", server.base_url() + "/health/ready").status == 405);
}

BOOST_AUTO_TEST_CASE(ready_is_503_when_a_store_file_is_gone) {
  test::TempDir data;
  test::ServerProcess server({}, {}, true, (data.path() / "data").string());
  BOOST_TEST(test::http_get(server.base_url() + "/health/ready").status == 200);
  std::filesystem::remove(data.path() / "data" / "rules.sqlite");
  const auto ready = test::http_get(server.base_url() + "/health/ready");
  BOOST_TEST(ready.status == 503);
  BOOST_TEST(ready.body.find(R"("status":"fail")") != std::string::npos, ready.body);
  BOOST_TEST(ready.body.find("store rules.sqlite unreachable") != std::string::npos, ready.body);
  // The process itself still serves.
  BOOST_TEST(test::http_get(server.base_url() + "/health/live").status == 200);
}

BOOST_AUTO_TEST_CASE(ready_turns_503_on_sigterm_while_the_listener_still_serves) {
  test::ServerProcess server({"--drain-grace-ms", "6000"});
  BOOST_TEST(test::http_get(server.base_url() + "/health/ready").status == 200);
  server.send_signal(SIGTERM);
  const auto ready = probes_poll_until(server.base_url() + "/health/ready", 503);
  BOOST_TEST(ready.status == 503);
  BOOST_TEST(ready.body.find("draining") != std::string::npos, ready.body);
  // Not ready, yet the listener is open and calls are still answered.
  BOOST_TEST(test::http_get(server.base_url() + "/cds-services").status == 200);
  BOOST_TEST(test::http_get(server.base_url() + "/health/live").status == 200);
  const auto status = server.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 0);
  // Then the listener is closed.
  BOOST_CHECK_THROW(test::http_get(server.base_url() + "/health/live"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(version_prints_release_commit_and_plugin_abi) {
  test::ServerProcess version({"--version"}, {}, false);
  const auto status = version.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 0);
  const auto& text = version.stdout_text();
  BOOST_TEST(text.find("crdex-server 0.") != std::string::npos, text);
  BOOST_TEST(text.find("commit ") != std::string::npos, text);
  if (std::filesystem::exists(test::source_dir() / ".git"))  // built from a git checkout: its commit
    BOOST_TEST(text.find("commit unknown") == std::string::npos, text);
  BOOST_TEST(text.find("plugin ABI 1.") != std::string::npos, text);
}

BOOST_AUTO_TEST_SUITE_END()
