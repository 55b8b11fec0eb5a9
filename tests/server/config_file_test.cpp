// crdex-server --config FILE (toml++; docs/operations.md): the shipped
// examples/crdex.toml starts a server that serves like the flags, the file's
// values apply and flags override them, unknown keys are refused by name and
// line, and the example documents every flag.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <regex>
#include <set>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

std::string config_example_path() { return (test::source_dir() / "examples" / "crdex.toml").string(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(config_file)

BOOST_AUTO_TEST_CASE(example_file_serves_like_the_equivalent_flags) {
  // ServerProcess gives --listen, --rules, --data and --threads on the
  // command line: they override the file's values.
  test::ServerProcess from_file({"--config", config_example_path()});
  test::ServerProcess from_flags;
  const auto with_file = test::http_get(from_file.base_url() + "/cds-services");
  const auto with_flags = test::http_get(from_flags.base_url() + "/cds-services");
  BOOST_TEST(with_file.status == 200);
  BOOST_TEST(with_file.body == with_flags.body);
  const auto order_sign = test::read_fixture("crd-ig/CRDServiceRequest.json");
  BOOST_TEST(test::http_post(from_file.base_url() + "/cds-services/crdex-order-sign", order_sign).status == 200);
  BOOST_TEST(test::http_get(from_file.base_url() + "/health/ready").status == 200);
}

BOOST_AUTO_TEST_CASE(file_values_apply_and_flags_override_them) {
  test::TempDir dir;
  const auto file = (dir.path() / "crdex.toml").string();
  std::ofstream(file) << "max-body-bytes = 2048\nlog-level = \"warn\"\n";
  const std::string big(4096, ' ');
  const std::string body = "{\"hook\":\"order-sign\"" + big + "}";
  {
    test::ServerProcess server({"--config", file});
    BOOST_TEST(test::http_post(server.base_url() + "/cds-services/crdex-order-sign", body).status == 413);
  }
  {
    test::ServerProcess server({"--config", file, "--max-body-bytes", "65536"});
    BOOST_TEST(test::http_post(server.base_url() + "/cds-services/crdex-order-sign", body).status != 413);
  }
}

BOOST_AUTO_TEST_CASE(unknown_key_is_refused_with_its_name_and_line) {
  test::TempDir dir;
  const auto file = (dir.path() / "crdex.toml").string();
  std::ofstream(file) << "# comment\nlisten = \"127.0.0.1:0\"\nmax-bdy-bytes = 2048\n";
  test::ServerProcess server({"--config", file}, {}, false);
  const auto status = server.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 2);
  const auto errors = server.stderr_text();
  BOOST_TEST(errors.find("crdex.toml:3: unknown key \"max-bdy-bytes\"") != std::string::npos, errors);
}

BOOST_AUTO_TEST_CASE(wrong_kinds_and_syntax_errors_name_the_line) {
  test::TempDir dir;
  const auto file = (dir.path() / "crdex.toml").string();
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"max-in-flight = [1, 2]\n", "crdex.toml:1: \"max-in-flight\" takes one value"},
           {"\nallow-rule-trace = \"yes\"\n", "crdex.toml:2: \"allow-rule-trace\" takes true or false"},
           {"listen = \n", "--config crdex.toml:"},
           {"[server]\nlisten = \"x\"\n", "crdex.toml:1: unknown key \"server\""}}) {
    std::ofstream(file) << text;
    test::ServerProcess server({"--config", file}, {}, false);
    const auto status = server.wait_for_exit();
    BOOST_TEST(status.code == 2);
    BOOST_TEST(server.stderr_text().find(expected) != std::string::npos, server.stderr_text());
  }
}

BOOST_AUTO_TEST_CASE(example_file_documents_every_flag) {
  test::ServerProcess help({"--help"}, {}, false);
  BOOST_TEST_REQUIRE(help.wait_for_exit().code == 0);
  const std::string example = test::read_file(config_example_path());
  std::set<std::string> flags;
  const std::regex flag_at_line_start(R"((?:^|\n)\s+(?:-h,)?--([a-z0-9-]+))");
  const auto& text = help.stdout_text();
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag_at_line_start); it != std::sregex_iterator(); ++it)
    flags.insert((*it)[1].str());
  BOOST_TEST(flags.size() > 40u);
  for (const auto& flag : flags) {
    if (flag == "help" || flag == "version" || flag == "config") continue;
    const std::regex key("(^|\\n)(# )?" + flag + " = ");
    BOOST_TEST(std::regex_search(example, key), "examples/crdex.toml lacks " << flag);
  }
}

BOOST_AUTO_TEST_SUITE_END()
