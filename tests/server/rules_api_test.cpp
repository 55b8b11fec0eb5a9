// The payer rule publishing API on a real crdex-server: tokens, publish, list,
// rollback, validation with every problem, dry run, rule trace and the
// crdex-rules CLI. Durability and load: rules_durability_test.cpp.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "server/publishing_server.hpp"

using namespace crdex;
using namespace crdex::test::publishing;

namespace {

// Runs crdex-rules with `args` (shell words, already quoted); exit code and stdout.
std::pair<int, std::string> run_cli(const std::string& args) {
  const std::string command = std::string(CRDEX_RULES_CLI_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run crdex-rules");
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}


}  // namespace

BOOST_FIXTURE_TEST_SUITE(rules_api, PublishingServer)

BOOST_AUTO_TEST_CASE(RULES_01_publish_is_live_on_the_next_request_listed_and_rolled_back) {
  // The store was seeded from examples/rules: version 1 is current.
  BOOST_TEST(version_of_assertion(decision().second) == "1");
  BOOST_TEST(decision().first == "no-auth");

  const auto published = publish(acme_rules("auth-needed"));
  BOOST_TEST_REQUIRE(published.status == 201, published.body);
  BOOST_TEST(int_of(published.body, "version") == 2);
  BOOST_TEST(published.header("location") == "/payers/acme-health-plan/rules/versions/2");
  auto [pa, assertion] = decision();
  BOOST_TEST(pa == "auth-needed");
  BOOST_TEST(version_of_assertion(assertion) == "2");

  const auto versions = call("GET", "/payers/acme-health-plan/rules/versions");
  BOOST_TEST_REQUIRE(versions.status == 200, versions.body);
  test::Json list(versions.body);
  auto items = list.root()["versions"].get_array().value();
  BOOST_TEST_REQUIRE(items.size() == 2u);
  BOOST_TEST(items.at(0)["version"].get_int64().value() == 2);
  BOOST_TEST(items.at(0)["current"].get_bool().value());
  BOOST_TEST(std::string(items.at(0)["checksum"].get_string().value()).starts_with("sha256:"));
  BOOST_TEST(!items.at(1)["current"].get_bool().value());

  const auto one = call("GET", "/payers/acme-health-plan/rules/versions/2");
  BOOST_TEST_REQUIRE(one.status == 200, one.body);
  test::Json version2(one.body);
  BOOST_TEST(std::string(version2.root()["ruleSet"]["defaultOutcome"]["pa-needed"].get_string().value()) ==
             "auth-needed");

  const auto rolled = call("POST", "/payers/acme-health-plan/rules/rollback", R"({"version":1})");
  BOOST_TEST_REQUIRE(rolled.status == 200, rolled.body);
  std::tie(pa, assertion) = decision();
  BOOST_TEST(pa == "no-auth");
  BOOST_TEST(version_of_assertion(assertion) == "1");
  const auto current = call("GET", "/payers/acme-health-plan/rules");
  BOOST_TEST(int_of(current.body, "version") == 1);

  // A restart serves what the store says is current.
  server.reset();
  start();
  BOOST_TEST(version_of_assertion(decision().second) == "1");
  BOOST_TEST(call("GET", "/payers/acme-health-plan/rules/versions").body.find("\"version\":2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(RULES_02_tokens_are_per_payer) {
  BOOST_TEST(call("GET", "/payers/acme-health-plan/rules", {}, "").status == 401);
  const auto wrong = call("GET", "/payers/acme-health-plan/rules", {}, "not-a-token-of-anyone-at-all");
  BOOST_TEST(wrong.status == 401);
  BOOST_TEST(wrong.header("content-type") == "application/fhir+json");
  BOOST_TEST(wrong.body.find("OperationOutcome") != std::string::npos);

  const auto other = publish(acme_rules("auth-needed"), kBluestoneToken);
  BOOST_TEST(other.status == 403);
  BOOST_TEST(other.body.find("\"security\"") != std::string::npos);
  BOOST_TEST(call("POST", "/payers/acme-health-plan/rules/rollback", R"({"version":1})", kBluestoneToken).status ==
             403);
  BOOST_TEST(decision().first == "no-auth");  // nothing changed
  BOOST_TEST(call("GET", "/payers/bluestone-health/rules", {}, kBluestoneToken).status == 200);
}

BOOST_AUTO_TEST_CASE(RULES_03_bad_rule_set_reports_every_problem_and_changes_nothing) {
  const std::string bad = R"({"schema":"crdex-rules/1",
    "payer":{"id":"acme-health-plan","name":"Acme Health Plan","identifiedBy":{"displays":["Acme Health Plan"]}},
    "defaultOutcome":{"covered":"maybe"},
    "rules":[{"id":"a","when":{"codes":[{"system":"s","code":"1"}],"patient":{"age":{"min":80,"max":20}}},
              "then":{"covered":"covered","pa-needed":"perhaps"}},
             {"id":"b","when":{"codes":[{"group":"missing"}]},"then":{"covered":"covered"}}]})";
  for (const char* path : {"/payers/acme-health-plan/rules", "/payers/acme-health-plan/rules:validate"}) {
    const auto response = call(std::string(path).ends_with("validate") ? "POST" : "PUT", path, bad);
    BOOST_TEST_REQUIRE(response.status == 422, response.body);
    test::Json outcome(response.body);
    auto issues = outcome.root()["issue"].get_array().value();
    BOOST_TEST(issues.size() == 4u);
    std::vector<std::string> pointers;
    for (auto issue : issues)
      pointers.emplace_back(issue["extension"].at(0)["valueString"].get_string().value());
    const std::vector<std::string> expected{"/defaultOutcome/covered", "/rules/0/when/patient/age",
                                            "/rules/0/then/pa-needed", "/rules/1/when/codes/0/group"};
    BOOST_TEST(pointers == expected, boost::test_tools::per_element());
  }
  BOOST_TEST(call("GET", "/payers/acme-health-plan/rules/versions").body.find("\"version\":2") == std::string::npos);
  BOOST_TEST(decision().first == "no-auth");

  const auto good = call("POST", "/payers/acme-health-plan/rules:validate", acme_rules("auth-needed"));
  BOOST_TEST(good.status == 200, good.body);
  BOOST_TEST(good.body.find("\"information\"") != std::string::npos);
  // A set naming another payer is refused too.
  const auto renamed = publish(test::read_file(test::example_rules_dir() / "bluestone-health.json"));
  BOOST_TEST(renamed.status == 422);
  BOOST_TEST(renamed.body.find("/payer/id") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(RULES_04_dry_run_lists_the_decisions_that_would_change) {
  const std::string requests = R"([{"service":"crdex-order-sign","request":)" + unlisted_order_request() +
                               R"(},{"request":)" +
                               test::order_sign_request(test::service_request_entry("sr-2", test::kCpt, "77061"),
                                                        R"({"coverage":)" + test::ig_coverage_bundle() + "}") +
                               "}]";
  const auto response = call("POST", "/payers/acme-health-plan/rules:dry-run",
                             R"({"ruleSet":)" + acme_rules("auth-needed") + R"(,"requests":)" + requests + "}");
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  test::Json result(response.body);
  BOOST_TEST(result.root()["requests"].get_int64().value() == 2);
  auto changes = result.root()["changes"].get_array().value();
  // Both orders change: the unlisted one gets the new default, and 77061
  // (a prior-authorization rule in the example set) has no rule any more.
  BOOST_TEST_REQUIRE(changes.size() == 2u);
  BOOST_TEST(std::string(changes.at(0)["order"].get_string().value()) == "ServiceRequest/sr-1");
  BOOST_TEST(std::string(changes.at(0)["candidate"].get_string().value()).find("auth-needed") != std::string::npos);
  BOOST_TEST(decision().first == "no-auth");  // a dry run publishes nothing
}

BOOST_AUTO_TEST_CASE(RULES_05_rule_trace_only_when_asked_and_allowed) {
  const auto plain = test::http_post(url("/cds-services/crdex-order-sign"), unlisted_order_request());
  BOOST_TEST(plain.body.find("crdex.rule-trace") == std::string::npos);
  const auto traced = test::http_post(
      url("/cds-services/crdex-order-sign"),
      test::order_sign_request(test::service_request_entry("sr-2", test::kCpt, "77061"),
                               R"({"coverage":)" + test::ig_coverage_bundle() + "}",
                               R"({"davinci-crd.configuration":{"crdex-rule-trace":true}})"));
  BOOST_TEST_REQUIRE(traced.status == 200, traced.body);
  test::Json answer(traced.body);
  auto trace = answer.root()["extension"]["crdex.rule-trace"].at(0);
  BOOST_TEST(std::string(trace["winner"].get_string().value()) == "mammography-contrast-pa");
  BOOST_TEST(trace["ruleSetVersion"].get_int64().value() == 1);
}

BOOST_AUTO_TEST_CASE(RULES_08_cli_validate_diff_issue_token_and_publish) {
  const auto good = dir.path() / "good.json";
  const auto changed = dir.path() / "changed.json";
  const auto bad = dir.path() / "bad.json";
  std::ofstream(good) << acme_no_auth();
  std::ofstream(changed) << acme_rules("auth-needed");
  std::ofstream(bad) << R"({"schema":"crdex-rules/1","payer":{"id":"p"},"defaultOutcome":{"covered":"maybe"}})";

  BOOST_TEST(run_cli("validate " + good.string()).first == 0);
  const auto [bad_code, bad_out] = run_cli("validate " + bad.string());
  BOOST_TEST(bad_code == 1);
  BOOST_TEST(bad_out.find(bad.string() + ":/payer/name: ") != std::string::npos, bad_out);
  BOOST_TEST(bad_out.find(bad.string() + ":/defaultOutcome/covered: ") != std::string::npos, bad_out);
  BOOST_TEST(run_cli("validate " + (dir.path() / "absent.json").string()).first == 2);

  const auto requests = dir.path() / "requests.json";
  std::ofstream(requests) << R"([{"service":"crdex-order-sign","request":)" << unlisted_order_request() << "}]";
  const auto [diff_code, diff_out] =
      run_cli("diff " + good.string() + " " + changed.string() + " --requests " + requests.string());
  BOOST_TEST(diff_code == 1, diff_out);
  BOOST_TEST(diff_out.find("ServiceRequest/sr-1") != std::string::npos, diff_out);
  BOOST_TEST(run_cli("diff " + good.string() + " " + good.string() + " --requests " + requests.string()).first == 0);

  // An admin issues a fresh token into the running server's store.
  const auto token = dir.path() / "issued.token";
  BOOST_TEST_REQUIRE(run_cli("issue-token --data " + data + " --payer acme-health-plan --token-file " + token.string())
                         .first == 0);
  const auto [publish_code, publish_out] = run_cli("publish " + changed.string() + " --server " +
                                                   server->base_url() + " --payer acme-health-plan --token-file " +
                                                   token.string() + " --comment 'from CI'");
  BOOST_TEST(publish_code == 0, publish_out);
  BOOST_TEST(decision().first == "auth-needed");
  // The replaced token no longer works; a wrong payer is refused too.
  const auto old_token = dir.path() / "acme.token";
  BOOST_TEST(run_cli("publish " + good.string() + " --server " + server->base_url() +
                     " --payer acme-health-plan --token-file " + old_token.string())
                 .first == 3);
  BOOST_TEST(run_cli("publish " + good.string() + " --server " + server->base_url() +
                     " --payer bluestone-health --token-file " + token.string())
                 .first != 0);
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 15 point 8: doubtful code systems are warnings on stderr, exit 0.
BOOST_AUTO_TEST_SUITE(rules_cli_issue15)

BOOST_AUTO_TEST_CASE(ISSUE15_validate_warns_on_stderr_about_a_misspelled_code_system) {
  test::TempDir dir;
  const auto file = dir.path() / "typo.json";
  std::ofstream(file) << R"({"schema":"crdex-rules/1",
    "payer":{"id":"p","name":"Payer P","identifiedBy":{"references":["Organization/p"]}},
    "defaultOutcome":{"covered":"covered","pa-needed":"no-auth"},
    "rules":[{"id":"r1","when":{"codes":[{"system":"hhttps://www.ama-assn.org/go/cpt","code":"77061"}]},
      "then":{"covered":"covered","pa-needed":"no-auth"}}]})";
  const auto stderr_file = dir.path() / "stderr.txt";
  const std::string command =
      std::string(CRDEX_RULES_CLI_PATH) + " validate " + file.string() + " 2>" + stderr_file.string();
  const int status = std::system(command.c_str());
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  const auto out = run_cli("validate " + file.string() + " 2>/dev/null").second;
  std::ifstream in(stderr_file);
  std::stringstream err;
  err << in.rdbuf();
  BOOST_TEST(err.str().find(file.string() + ":/rules/0/when/codes/0/system: warning: ") != std::string::npos, err.str());
  BOOST_TEST(err.str().find("misspelled") != std::string::npos, err.str());
  BOOST_TEST(out.find("valid") != std::string::npos, out);
}

BOOST_AUTO_TEST_SUITE_END()
