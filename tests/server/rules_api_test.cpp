// The payer rule publishing API on a real crdex-server: tokens, publish, list,
// rollback, validation with every problem, dry run, a SIGKILL in the middle of
// a publish (many times) and publishing while hook traffic runs.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

constexpr const char* kAcme = "acme-health-plan";
constexpr const char* kAcmeToken = "acme-publisher-token-0123456789";
constexpr const char* kBluestoneToken = "bluestone-publisher-token-0123456789";
constexpr const char* kCpt = "http://www.ama-assn.org/go/cpt";

// An Acme rule set whose default outcome says `pa_needed`, with `filler`
// extra rules so that a publish has some work to do.
std::string acme_rules(const std::string& pa_needed, int filler = 0) {
  std::string rules;
  for (int i = 0; i < filler; ++i)
    rules += std::string(i ? "," : "") + R"({"id":"filler-)" + std::to_string(i) +
             R"(","when":{"codes":[{"system":"http://example.org/filler","code":"F)" + std::to_string(i) +
             R"("}]},"then":{"covered":"covered","pa-needed":"no-auth"}})";
  return R"({"schema":"crdex-rules/1",
    "payer":{"id":"acme-health-plan","name":"Acme Health Plan","identifiedBy":{
      "references":["Organization/acme-payer"],
      "identifiers":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}],
      "displays":["Acme Health Plan"]}},
    "defaultOutcome":{"covered":"covered","pa-needed":")" +
         pa_needed + R"(","doc-needed":["clinical"],"doc-purpose":["withpa"],"reason":[{"text":"Plan policy"}]},
    "rules":[)" + rules + "]}";
}

std::string acme_no_auth(int filler = 0) {
  return R"({"schema":"crdex-rules/1",
    "payer":{"id":"acme-health-plan","name":"Acme Health Plan","identifiedBy":{
      "references":["Organization/acme-payer"],
      "identifiers":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}],
      "displays":["Acme Health Plan"]}},
    "defaultOutcome":{"covered":"covered","pa-needed":"no-auth"},"rules":[)" +
         [&] {
           std::string rules;
           for (int i = 0; i < filler; ++i)
             rules += std::string(i ? "," : "") + R"({"id":"f)" + std::to_string(i) +
                      R"(","when":{"codes":[{"system":"http://example.org/filler","code":"F)" + std::to_string(i) +
                      R"("}]},"then":{"covered":"covered"}})";
           return rules;
         }() +
         "]}";
}

// An order for a code no rule names: it gets the default outcome.
std::string unlisted_order_request() {
  return test::order_sign_request(test::service_request_entry("sr-1", kCpt, "99999"),
                                  R"({"coverage":)" + test::ig_coverage_bundle() + "}");
}

std::string bearer(const std::string& token) { return "Authorization: Bearer " + token; }

// A running server whose data directory outlives restarts, with both example
// payers' publisher tokens configured.
struct PublishingServer {
  test::TempDir dir;
  std::string data = (dir.path() / "data").string();
  std::unique_ptr<test::ServerProcess> server;

  PublishingServer() {
    write_token("acme.token", kAcmeToken);
    write_token("bluestone.token", kBluestoneToken);
    start();
  }
  void write_token(const std::string& name, const std::string& token) {
    std::ofstream(dir.path() / name) << token << "\n";
  }
  void start() {
    server = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{"--publisher-token", std::string(kAcme) + "=" + (dir.path() / "acme.token").string(),
                                 "--publisher-token",
                                 "bluestone-health=" + (dir.path() / "bluestone.token").string(), "--allow-rule-trace"},
        std::string(), true, data);
  }
  std::string url(const std::string& path) const { return server->base_url() + path; }

  test::HttpResult call(const std::string& method, const std::string& path, const std::string& body = {},
                        const std::string& token = kAcmeToken) const {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back(bearer(token));
    return test::http_request(method, url(path), body, "application/json", headers);
  }
  test::HttpResult publish(const std::string& document, const std::string& token = kAcmeToken) const {
    return call("PUT", "/payers/acme-health-plan/rules", document, token);
  }
  // pa-needed of the single order of `unlisted_order_request`, and the
  // rule-set version its coverage-assertion-id names.
  std::pair<std::string, std::string> decision() const {
    const auto response = test::http_post(url("/cds-services/crdex-order-sign"), unlisted_order_request());
    BOOST_TEST_REQUIRE(response.status == 200, response.body);
    test::Json answer(response.body);
    auto resource = answer.root()["systemActions"].at(0)["resource"].value();
    return {test::coverage_information_code(resource, "pa-needed"),
            test::coverage_information_code(resource, "coverage-assertion-id")};
  }
};

// "acme-health-plan.v3.<uuid>" -> "3"
std::string version_of_assertion(const std::string& assertion_id) {
  const auto start = assertion_id.find(".v");
  if (start == std::string::npos) return {};
  const auto end = assertion_id.find('.', start + 2);
  return assertion_id.substr(start + 2, end - start - 2);
}

int64_t int_of(const std::string& body, const char* key) {
  test::Json json(body);
  return json.root()[key].get_int64().value();
}

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
                               test::order_sign_request(test::service_request_entry("sr-2", kCpt, "77061"),
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
      test::order_sign_request(test::service_request_entry("sr-2", kCpt, "77061"),
                               R"({"coverage":)" + test::ig_coverage_bundle() + "}",
                               R"({"davinci-crd.configuration":{"crdex-rule-trace":true}})"));
  BOOST_TEST_REQUIRE(traced.status == 200, traced.body);
  test::Json answer(traced.body);
  auto trace = answer.root()["extension"]["crdex.rule-trace"].at(0);
  BOOST_TEST(std::string(trace["winner"].get_string().value()) == "mammography-contrast-pa");
  BOOST_TEST(trace["ruleSetVersion"].get_int64().value() == 1);
}

BOOST_AUTO_TEST_CASE(RULES_06_sigkill_during_publish_leaves_old_or_new_never_a_mix) {
  // Each round publishes the other of two large documents and kills the
  // server at a random moment of the publish; after the restart the current
  // version must be the old one or the new one, whole, and be what is served.
  std::mt19937 random(20261122);
  const std::string documents[2] = {acme_no_auth(3000), acme_rules("auth-needed", 3000)};
  const auto first = publish(documents[0]);
  BOOST_TEST_REQUIRE(first.status == 201, first.body);
  int64_t current_version = int_of(first.body, "version");
  // How long a publish takes here: kill moments are spread over 0..1.5x that.
  const auto started = std::chrono::steady_clock::now();
  const auto timed = publish(documents[0]);
  BOOST_TEST_REQUIRE(timed.status == 201, timed.body);
  current_version = int_of(timed.body, "version");
  const auto publish_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  int current_document = 0;
  int old_kept = 0, new_kept = 0;
  for (int round = 0; round < 20; ++round) {
    const int next_document = 1 - current_document;
    std::thread publisher([&] {
      try {
        publish(documents[next_document]);
      } catch (const std::exception&) {
        // The connection dies with the server: expected.
      }
    });
    // The delay only picks the moment of the kill; nothing waits on it.
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int64_t>(0, publish_us * 3 / 2)(random)));
    server->stop(SIGKILL);
    publisher.join();
    start();

    const auto now = call("GET", "/payers/acme-health-plan/rules");
    BOOST_TEST_REQUIRE(now.status == 200, now.body);
    const int64_t version = int_of(now.body, "version");
    test::Json body(now.body);
    const std::string pa(body.root()["ruleSet"]["defaultOutcome"]["pa-needed"].get_string().value());
    const auto [served_pa, assertion] = decision();
    BOOST_TEST(version_of_assertion(assertion) == std::to_string(version));
    BOOST_TEST(served_pa == pa);
    if (version == current_version) {
      ++old_kept;
      BOOST_TEST(pa == (current_document == 0 ? "no-auth" : "auth-needed"));
    } else {
      BOOST_TEST_REQUIRE(version == current_version + 1);
      ++new_kept;
      BOOST_TEST(pa == (next_document == 0 ? "no-auth" : "auth-needed"));
      current_version = version;
      current_document = next_document;
    }
    // The stored document is exactly one of the two (its checksum holds).
    const auto stored = call("GET", "/payers/acme-health-plan/rules/versions/" + std::to_string(version));
    BOOST_TEST(stored.status == 200);
  }
  BOOST_TEST_MESSAGE("SIGKILL rounds: old kept " << old_kept << ", new kept " << new_kept << " (publish takes "
                                                  << publish_us << " us)");
  BOOST_TEST(old_kept + new_kept == 20);
}

BOOST_AUTO_TEST_CASE(RULES_07_publish_under_load_has_no_failed_or_mixed_responses) {
  const std::string documents[2] = {acme_no_auth(200), acme_rules("auth-needed", 200)};
  // Three orders per request: all three must come from one version.
  const std::string request = test::order_sign_request(
      test::service_request_entry("a", kCpt, "99991") + "," + test::service_request_entry("b", kCpt, "99992") + "," +
          test::service_request_entry("c", kCpt, "99993"),
      R"({"coverage":)" + test::ig_coverage_bundle() + "}");
  std::atomic<bool> publishing{true};
  std::atomic<int> responses{0}, failures{0}, mixed{0};
  // version -> its pa-needed is fixed by what was published; recorded after each publish.
  std::mutex published_mutex;
  std::map<std::string, std::string> pa_of_version{{"1", "no-auth"}};
  std::vector<std::pair<std::string, std::string>> seen;  // (version, pa) pairs observed
  std::mutex seen_mutex;
  std::string first_failure;  // under seen_mutex
  auto note_failure = [&](const std::string& what) {
    ++failures;
    std::lock_guard lock(seen_mutex);
    if (first_failure.empty()) first_failure = what;
  };

  auto client = [&] {
    while (publishing) {
      try {
        const auto response = test::http_post(url("/cds-services/crdex-order-sign"), request);
        ++responses;
        if (response.status != 200) {
          note_failure(std::to_string(response.status) + " " + response.body);
          continue;
        }
        test::Json answer(response.body);
        std::set<std::pair<std::string, std::string>> decisions;
        for (auto action : answer.root()["systemActions"].get_array())
          decisions.insert({version_of_assertion(test::coverage_information_code(action["resource"].value(),
                                                                                  "coverage-assertion-id")),
                            test::coverage_information_code(action["resource"].value(), "pa-needed")});
        if (decisions.size() != 1) ++mixed;
        std::lock_guard lock(seen_mutex);
        seen.push_back(*decisions.begin());
      } catch (const std::exception& e) {
        note_failure(e.what());
      }
    }
  };
  std::thread clients[2] = {std::thread(client), std::thread(client)};
  for (int i = 0; i < 12; ++i) {
    const auto published = publish(documents[i % 2]);
    BOOST_TEST(published.status == 201, published.body);
    if (published.status == 201) {
      std::lock_guard lock(published_mutex);
      pa_of_version[std::to_string(int_of(published.body, "version"))] = i % 2 == 0 ? "no-auth" : "auth-needed";
    }
  }
  publishing = false;
  for (auto& c : clients) c.join();

  BOOST_TEST(failures == 0, first_failure);
  BOOST_TEST(mixed == 0);
  BOOST_TEST(responses > 0);
  for (const auto& [version, pa] : seen) {
    BOOST_TEST_REQUIRE(pa_of_version.contains(version), "unpublished version " << version);
    BOOST_TEST(pa_of_version.at(version) == pa, "version " << version);
  }
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
