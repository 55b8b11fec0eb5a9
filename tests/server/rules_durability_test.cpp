// Rule publishing that must never lose or mix rules: a SIGKILL in the middle
// of a publish (many times) and publishing while hook traffic runs.
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

#include "server/publishing_server.hpp"

using namespace crdex;
using namespace crdex::test::publishing;

BOOST_FIXTURE_TEST_SUITE(rules_api, PublishingServer)

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
      test::service_request_entry("a", test::kCpt, "99991") + "," + test::service_request_entry("b", test::kCpt, "99992") + "," +
          test::service_request_entry("c", test::kCpt, "99993"),
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
        if (decisions.empty()) {
          note_failure("an answer without coverage information: " + response.body);
          continue;
        }
        if (decisions.size() != 1) ++mixed;
        std::lock_guard lock(seen_mutex);
        seen.push_back(*decisions.begin());
      } catch (const std::exception& e) {
        note_failure(e.what());
      }
    }
  };
  std::thread clients[2] = {std::thread(client), std::thread(client)};
  // A publish that throws (a time-out on a loaded machine) still stops and
  // joins the clients, so the case fails with its reason instead of aborting.
  struct StopClients {
    std::atomic<bool>& publishing;
    std::thread (&clients)[2];
    ~StopClients() {
      publishing = false;
      for (auto& c : clients)
        if (c.joinable()) c.join();
    }
  } stop_clients{publishing, clients};
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

  std::lock_guard lock(seen_mutex);
  BOOST_TEST(failures == 0, first_failure);
  BOOST_TEST(mixed == 0);
  BOOST_TEST(responses > 0);
  for (const auto& [version, pa] : seen) {
    BOOST_TEST_REQUIRE(pa_of_version.contains(version), "unpublished version " << version);
    BOOST_TEST(pa_of_version.at(version) == pa, "version " << version);
  }
}

BOOST_AUTO_TEST_SUITE_END()
