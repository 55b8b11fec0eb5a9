// crdex-server's process contract: start-up errors, --help, and a clean exit 0
// on SIGTERM / SIGINT.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;

BOOST_AUTO_TEST_SUITE(server_lifecycle)

BOOST_AUTO_TEST_CASE(sigterm_and_sigint_exit_zero) {
  for (int signal : {SIGTERM, SIGINT}) {
    test::ServerProcess server;
    BOOST_TEST(test::http_get(server.base_url() + "/cds-services").status == 200);
    const auto status = server.stop(signal);
    BOOST_TEST(status.exited);
    BOOST_TEST(status.code == 0);
    BOOST_TEST(server.stderr_text().find("stopped") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(help_describes_the_options) {
  test::ServerProcess help({"--help"}, {}, false);
  const auto status = help.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 0);
}

BOOST_AUTO_TEST_CASE(bad_rule_file_stops_start_up_naming_file_and_path) {
  test::TempDir rules;
  std::ofstream(rules.path() / "broken.json")
      << R"({"schema":"crdex-rules/1","payer":{"id":"p","name":"P","identifiedBy":{"displays":["P"]}},
           "defaultOutcome":{"covered":"covered","pa-needed":"sometimes"}})";
  test::ServerProcess server({}, rules.path().string(), false);
  const auto status = server.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 2);
  const auto errors = server.stderr_text();
  BOOST_TEST(errors.find("broken.json") != std::string::npos, errors);
  BOOST_TEST(errors.find("$.defaultOutcome.pa-needed") != std::string::npos, errors);
}

BOOST_AUTO_TEST_CASE(bad_listen_address_is_a_usage_error) {
  test::ServerProcess server({"--listen", "nonsense"}, {}, false);
  const auto status = server.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
