// Provider-initiated push (CDex P2, issue 22) through the real crdex-server:
// an EHR's encounter-discharge event for a member of a payer whose rules ask
// for the discharge summary is queued durably and sent as exactly one
// accepted $submit-attachment to the payer's destination (a real HTTP server
// on 127.0.0.1 that first answers 503 twice), across a restart of crdex.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <thread>

#include "crdex/fhir/submit_attachment.hpp"
#include "flaky_payer_server.hpp"
#include "support/destinations_file.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

constexpr const char* kHarborPayerToken = "harbor-static-token-0123456789";

struct PushSetup {
  test::TempDir dir;
  std::string data_dir = (dir.path() / "data").string();
  std::string rules_dir = test::fixture_path("push/rules").string();

  std::vector<std::string> args(const test::FlakyPayerServer& payer, int max_attempts) const {
    std::ofstream(dir.path() / "harbor.token") << kHarborPayerToken << "\n";
    auto a = test::destinations_args(dir.path(), {{"harbor", payer.base_url()}}, "destinations.json",
                                     R"(,"token_file":"harbor.token")");
    for (const char* extra : {"--push-backoff-min-ms", "200", "--push-backoff-max-ms", "5000"}) a.emplace_back(extra);
    a.emplace_back("--push-max-attempts");
    a.push_back(std::to_string(max_attempts));
    return a;
  }
};

test::HttpResult post_event(const test::ServerProcess& server, const std::string& body) {
  return test::http_post(server.base_url() + "/events", body);
}

// Polls (bounded) until `done` holds.
template <class Done>
bool eventually(Done&& done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

std::string push_state(const test::ServerProcess& server, const std::string& id) {
  const auto item = test::http_get(server.base_url() + "/events/push/" + id);
  if (item.status != 200) return "http " + std::to_string(item.status);
  return std::string(std::string_view(test::Json(item.body).root()["state"]));
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(push_events, PushSetup)

BOOST_AUTO_TEST_CASE(PUSH_a_discharge_summary_reaches_the_payer_once_across_503s_and_a_restart) {
  test::FlakyPayerServer payer(2, 1);  // 503 (Retry-After: 1) twice, then 200
  const auto event = test::read_fixture("push/encounter-discharge.json");
  std::string id;
  {
    test::ServerProcess provider(args(payer, 5), rules_dir, true, data_dir);
    const auto queued = post_event(provider, event);
    BOOST_TEST_REQUIRE(queued.status == 202, queued.body);
    test::Json answer(queued.body);
    BOOST_TEST(std::string_view(answer.root()["payer"]) == "harbor-health");
    BOOST_TEST_REQUIRE(answer.root()["pushes"].get_array().size() == 1u);
    BOOST_TEST(std::string_view(answer.root()["pushes"].at(0)["what"]) == "DocumentReference/ds-77");
    BOOST_TEST(bool(answer.root()["pushes"].at(0)["new"]));
    id = std::string(std::string_view(answer.root()["pushes"].at(0)["id"]));

    // The same event notified twice is queued once.
    const auto again = post_event(provider, event);
    BOOST_TEST_REQUIRE(again.status == 202, again.body);
    test::Json second(again.body);
    BOOST_TEST(std::string_view(second.root()["pushes"].at(0)["id"]) == id);
    BOOST_TEST(!bool(second.root()["pushes"].at(0)["new"]));

    // The first attempt meets a 503; crdex stops before the next one (Retry-After: 1 s).
    BOOST_TEST_REQUIRE(eventually([&] { return payer.received().size() >= 1; }));
    const auto stopped = provider.stop(SIGTERM);
    BOOST_TEST(stopped.exited);
    BOOST_TEST(stopped.code == 0);
  }
  BOOST_TEST_REQUIRE(payer.received().size() == 1u);

  // Restarted on the same --data, crdex goes on with the queued push.
  test::ServerProcess provider(args(payer, 5), rules_dir, true, data_dir);
  BOOST_TEST_REQUIRE(eventually([&] { return push_state(provider, id) == "sent"; }), push_state(provider, id));
  const auto received = payer.received();
  BOOST_TEST_REQUIRE(received.size() == 3u);  // 503, 503, 200: one accepted $submit-attachment
  BOOST_TEST(received[2].answered == 200);
  BOOST_TEST((received[2].at - received[1].at >= std::chrono::milliseconds(900)),  // Retry-After honoured
             std::chrono::duration_cast<std::chrono::milliseconds>(received[2].at - received[1].at).count());
  for (const auto& r : received) {
    BOOST_TEST(r.path == "/payer/$submit-attachment");
    BOOST_TEST(r.authorization == std::string("Bearer ") + kHarborPayerToken);
    BOOST_TEST(r.body == received[0].body);  // the same Parameters each time
  }
  auto sent = fhir::parse_submit_attachment(received[2].body);
  BOOST_TEST_REQUIRE(sent.ok());
  BOOST_TEST(sent->member_id.value == "HB-100200");
  BOOST_TEST_REQUIRE(sent->attachments.size() == 1u);
  BOOST_TEST(sent->attachments[0].content_json.find("\"ds-77\"") != std::string::npos);

  // The operator's view: sent after 3 attempts, each recorded.
  const auto item = test::http_get(provider.base_url() + "/events/push/" + id);
  BOOST_TEST_REQUIRE(item.status == 200, item.body);
  test::Json detail(item.body);
  BOOST_TEST(int64_t(detail.root()["attempts"]) == 3);
  BOOST_TEST(detail.root()["history"].get_array().size() == 3u);
  BOOST_TEST(int64_t(detail.root()["history"].at(0)["status"]) == 503);

  // Notified again after it was sent: nothing is queued or sent twice.
  const auto late = post_event(provider, event);
  BOOST_TEST_REQUIRE(late.status == 202, late.body);
  BOOST_TEST(!bool(test::Json(late.body).root()["pushes"].at(0)["new"]));
  const auto listed = test::http_get(provider.base_url() + "/events/push");
  BOOST_TEST_REQUIRE(listed.status == 200, listed.body);
  BOOST_TEST(int64_t(test::Json(listed.body).root()["total"]) == 1);
  BOOST_TEST(push_state(provider, id) == "sent");
  BOOST_TEST(payer.received().size() == 3u);
}

BOOST_AUTO_TEST_CASE(PUSH_a_push_fails_after_its_attempts_and_an_operator_retries_it) {
  test::FlakyPayerServer payer(-1, 0);  // always 503
  test::ServerProcess provider(args(payer, 2), rules_dir, true, data_dir);
  const auto queued = post_event(provider, test::read_fixture("push/encounter-discharge.json"));
  BOOST_TEST_REQUIRE(queued.status == 202, queued.body);
  const std::string id(std::string_view(test::Json(queued.body).root()["pushes"].at(0)["id"]));
  BOOST_TEST_REQUIRE(eventually([&] { return push_state(provider, id) == "failed"; }), push_state(provider, id));
  BOOST_TEST(payer.received().size() == 2u);
  const auto failed = test::http_get(provider.base_url() + "/events/push?state=failed");
  BOOST_TEST_REQUIRE(failed.status == 200, failed.body);
  test::Json list(failed.body);
  BOOST_TEST_REQUIRE(int64_t(list.root()["total"]) == 1);
  BOOST_TEST(std::string_view(list.root()["pushes"].at(0)["lastError"]).find("503") != std::string_view::npos);

  payer.set_failures(0);
  const auto retried = test::http_post(provider.base_url() + "/events/push/" + id + "/retry", "");
  BOOST_TEST_REQUIRE(retried.status == 200, retried.body);
  BOOST_TEST_REQUIRE(eventually([&] { return push_state(provider, id) == "sent"; }), push_state(provider, id));
  BOOST_TEST(payer.received().size() == 3u);
  BOOST_TEST(test::http_post(provider.base_url() + "/events/push/" + id + "/retry", "").status == 409);
  BOOST_TEST(test::http_post(provider.base_url() + "/events/push/999/retry", "").status == 404);
  BOOST_TEST(test::http_get(provider.base_url() + "/events/push?state=lost").status == 400);
  BOOST_TEST(post_event(provider, R"({"event":"admitted"})").status == 400);
}

BOOST_AUTO_TEST_SUITE_END()
