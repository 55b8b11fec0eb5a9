// Work done once across replicas, on both back ends: a due push item, a
// followed CDex request and an accepted Data Source Task are claimed by exactly one of two connections to one
// database (as two replicas would race for them), the loser gets nothing; a
// claim whose lease runs out (its replica died) is taken over by the other,
// and the first one's late outcome is then refused.

#include <boost/test/unit_test.hpp>

#include <mutex>
#include <thread>

#include "crdex/cdex/push_queue.hpp"
#include "crdex/cdex/task_store.hpp"
#include "store/store_backends.hpp"

namespace {

using namespace crdex;

cdex::ConsumerRequestRow followed_request(const std::string& id, int64_t next_poll_ms) {
  cdex::ConsumerRequestRow row;
  row.id = id;
  row.source = "https://ehr.example.org/fhir";
  row.remote_id = "remote-" + id;
  row.status = "requested";
  row.created_ms = 100;
  row.next_poll_ms = next_poll_ms;
  row.outputs = "[]";
  return row;
}

cdex::PushItem claimable_push(const std::string& what) {
  cdex::PushItem p;
  p.key = "event|Encounter/e1|harbor|summary|" + what;
  p.event = "event";
  p.subject = "Encounter/e1";
  p.payer_id = "harbor";
  p.push_id = "summary";
  p.destination = "harbor";
  p.what = what;
  p.parameters = "{}";
  return p;
}

// Runs `claim(replica)` (true: it got the work) from 8 threads, half on each
// replica (0 "a", 1 "b"). The replicas that won, once each time; "error" for a
// claim that failed (no assertions in the threads: Boost.Test is not thread-safe).
template <class Claim>
std::vector<std::string> claim_winners(Claim claim) {
  std::mutex mutex;
  std::vector<std::string> winners;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto won = claim(i % 2);
      std::lock_guard lock(mutex);
      if (!won.ok()) winners.push_back("error: " + won.error().message);
      else if (*won) winners.push_back(i % 2 ? "b" : "a");
    });
  for (auto& thread : threads) thread.join();
  return winners;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_cdex_claims)

CRDEX_STORE_CASE(PUSH_a_due_item_is_claimed_by_one_replica_and_taken_over_when_its_lease_ends) {
  auto a = test::required_store(cdex::open_push_queue(backend.location()));
  auto b = test::required_store(cdex::open_push_queue(backend.location()));
  const auto id = a->enqueue(claimable_push("DocumentReference/ds"), 1000)->id;
  BOOST_TEST(!b->claim_next(999, "b", 500).value().has_value());  // not due yet

  const auto winners = claim_winners([&](int replica) -> fhir::Result<bool> {
    auto claimed = (replica ? *b : *a).claim_next(2000, replica ? "b" : "a", 500);
    if (!claimed) return claimed.error();
    return claimed->has_value() && (*claimed)->id == id;
  });
  BOOST_TEST_REQUIRE(winners.size() == 1u);
  const std::string winner = winners.front();
  BOOST_TEST_REQUIRE((winner == "a" || winner == "b"), winner);
  const std::string loser = winner == "a" ? "b" : "a";
  auto& winning = winner == "a" ? *a : *b;
  auto& losing = winner == "a" ? *b : *a;
  // Leased: not listed as due, claimable again only when the lease ends.
  BOOST_TEST(losing.due(2400, 10).value().empty());
  BOOST_TEST(losing.next_due_ms().value().value() == 2500);
  BOOST_TEST(!losing.claim_next(2400, loser, 500).value().has_value());
  BOOST_TEST(!losing.record_attempt(id, {1, "2026-12-06T00:00:00Z", 200, ""}, "sent", 0, loser).value());

  // The winner "dies"; after the lease the other replica takes the item over.
  auto taken = losing.claim_next(2600, loser, 500);
  BOOST_TEST_REQUIRE((taken.ok() && taken->has_value()));
  BOOST_TEST((*taken)->id == id);
  BOOST_TEST(!winning.record_attempt(id, {1, "2026-12-06T00:00:01Z", 200, ""}, "sent", 0, winner).value());
  BOOST_TEST(losing.record_attempt(id, {1, "2026-12-06T00:00:02Z", 200, ""}, "sent", 0, loser).value());
  auto item = winning.get(id).value();
  BOOST_TEST_REQUIRE(item.has_value());
  BOOST_TEST(item->state == "sent");
  BOOST_TEST(item->history.size() == 1u);  // the late outcome left no trace
  BOOST_TEST(!winning.claim_next(1'000'000, winner, 500).value().has_value());
}

CRDEX_STORE_CASE(PUSH_a_retried_item_is_claimable_again_at_once) {
  auto a = test::required_store(cdex::open_push_queue(backend.location()));
  auto b = test::required_store(cdex::open_push_queue(backend.location()));
  const auto id = a->enqueue(claimable_push("DocumentReference/ds"), 0)->id;
  BOOST_TEST_REQUIRE(a->claim_next(10, "a", 1000).value().has_value());
  // A failed attempt queued again frees the lease: due at its next attempt, for either replica.
  BOOST_TEST(a->record_attempt(id, {1, "2026-12-06T00:00:00Z", 503, "busy"}, "queued", 50, "a").value());
  BOOST_TEST(b->next_due_ms().value().value() == 50);
  auto next = b->claim_next(60, "b", 1000);
  BOOST_TEST_REQUIRE((next.ok() && next->has_value()));
  BOOST_TEST((*next)->attempts == 1);
}

CRDEX_STORE_CASE(CDEX_a_due_request_is_polled_by_one_replica_and_taken_over_when_its_lease_ends) {
  auto a = test::required_store(cdex::open_task_store(backend.location()));
  auto b = test::required_store(cdex::open_task_store(backend.location()));
  BOOST_TEST(a->save_request(followed_request("r1", 1000)).value());
  BOOST_TEST(a->save_request(followed_request("done", 0)).value());  // no longer followed: never claimed
  BOOST_TEST(!b->claim_due_request(999, "b", 500).value().has_value());

  const auto winners = claim_winners([&](int replica) -> fhir::Result<bool> {
    auto claimed = (replica ? *b : *a).claim_due_request(2000, replica ? "b" : "a", 500);
    if (!claimed) return claimed.error();
    return claimed->has_value() && (*claimed)->id == "r1";
  });
  BOOST_TEST_REQUIRE(winners.size() == 1u);
  const std::string winner = winners.front();
  BOOST_TEST_REQUIRE((winner == "a" || winner == "b"), winner);
  const std::string loser = winner == "a" ? "b" : "a";
  auto& winning = winner == "a" ? *a : *b;
  auto& losing = winner == "a" ? *b : *a;
  BOOST_TEST(losing.next_claimable_ms().value().value() == 2500);
  BOOST_TEST(!losing.claim_due_request(2400, loser, 500).value().has_value());
  auto polled = followed_request("r1", 9000);
  polled.polls = 1;
  BOOST_TEST(!losing.finish_poll(polled, loser).value());  // not its lease

  // The winner "dies" mid-poll; the other takes the request over after the lease.
  auto taken = losing.claim_due_request(2600, loser, 500);
  BOOST_TEST_REQUIRE((taken.ok() && taken->has_value()));
  BOOST_TEST((*taken)->id == "r1");
  auto late = polled;
  late.status = "failed";
  BOOST_TEST(!winning.finish_poll(late, winner).value());
  polled.status = "in-progress";
  BOOST_TEST(losing.finish_poll(polled, loser).value());
  auto row = winning.request("r1").value();
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST(row->status == "in-progress");
  BOOST_TEST(row->polls == 1);
  // The lease is free again: due at the next poll, for either replica.
  BOOST_TEST(winning.next_claimable_ms().value().value() == 9000);
  BOOST_TEST(winning.claim_due_request(9000, winner, 500).value().has_value());
}

CRDEX_STORE_CASE(CDEX_an_accepted_source_task_is_fulfilled_by_one_replica_and_taken_over_when_its_lease_ends) {
  auto a = test::required_store(cdex::open_task_store(backend.location()));
  auto b = test::required_store(cdex::open_task_store(backend.location()));
  BOOST_TEST(a->insert_source({"t1", "accepted", R"({"status":"accepted"})"}).value());
  BOOST_TEST(a->insert_source({"held", "on-hold", R"({"status":"on-hold"})"}).value());  // waits for review
  const auto due = b->due_sources(1000).value();
  BOOST_TEST_REQUIRE(due.size() == 1u);
  BOOST_TEST(due.front().id == "t1");

  const cdex::SourceTaskRow working{"t1", "in-progress", R"({"status":"in-progress"})"};
  const auto winners = claim_winners([&](int replica) -> fhir::Result<bool> {
    return (replica ? *b : *a).claim_source(working, "accepted", replica ? "b" : "a", 1000, 500);
  });
  BOOST_TEST_REQUIRE(winners.size() == 1u);
  const std::string winner = winners.front();
  BOOST_TEST_REQUIRE((winner == "a" || winner == "b"), winner);
  const std::string loser = winner == "a" ? "b" : "a";
  auto& winning = winner == "a" ? *a : *b;
  auto& losing = winner == "a" ? *b : *a;
  BOOST_TEST(winning.source("t1").value()->status == "in-progress");
  // Leased: not due, not claimable, not the loser's to renew or finish.
  BOOST_TEST(losing.due_sources(1400).value().empty());
  BOOST_TEST(!losing.claim_source(working, "in-progress", loser, 1400, 500).value());
  BOOST_TEST(!losing.renew_source("t1", loser, 1400, 500).value());
  BOOST_TEST(!losing.finish_source({"t1", "completed", R"({"status":"completed"})"}, loser).value());
  // Renewed by its holder: still not due after the first lease time.
  BOOST_TEST(winning.renew_source("t1", winner, 1400, 500).value());
  BOOST_TEST(losing.due_sources(1600).value().empty());
  BOOST_TEST(!losing.claim_source(working, "in-progress", loser, 1600, 500).value());

  // The winner "dies" mid-fulfilment; the other takes the Task over after the lease.
  const auto expired = losing.due_sources(1900).value();
  BOOST_TEST_REQUIRE(expired.size() == 1u);
  BOOST_TEST(expired.front().status == "in-progress");
  BOOST_TEST(losing.claim_source(working, "in-progress", loser, 1900, 500).value());
  BOOST_TEST(!winning.claim_source(working, "in-progress", winner, 1900, 500).value());
  BOOST_TEST(!winning.renew_source("t1", winner, 1950, 500).value());
  BOOST_TEST(!winning.finish_source({"t1", "failed", R"({"status":"failed"})"}, winner).value());
  BOOST_TEST(losing.finish_source({"t1", "completed", R"({"status":"completed"})"}, loser).value());
  auto row = winning.source("t1").value();
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST(row->status == "completed");
  BOOST_TEST(row->document == R"({"status":"completed"})");
  // Done: never due again, and a finished Task takes no second outcome.
  BOOST_TEST(winning.due_sources(1'000'000).value().empty());
  BOOST_TEST(!losing.finish_source({"t1", "failed", R"({"status":"failed"})"}, loser).value());
}

BOOST_AUTO_TEST_SUITE_END()
