// The JWT replay ledger: the same cases on the in-process cache (one
// replica) and on PostgreSQL, then what only a shared ledger can do — a jti
// accepted through one connection (replica A) is refused through another (B).

#include <boost/test/unit_test.hpp>

#include <chrono>

#include "crdex/smart/jti_ledger.hpp"
#include "replay_cache.hpp"
#include "store/store_backends.hpp"

namespace {

using Outcome = crdex::smart::JtiLedger::Outcome;

std::unique_ptr<crdex::smart::JtiLedger> open_ledger_for_test(const crdex::test::StoreBackend& backend) {
  const auto location = backend.location();
  if (!location.is_postgresql()) return std::make_unique<crdex::server::ReplayCache>(1000);
  auto ledger = crdex::smart::open_postgres_jti_ledger(location.postgres_url);
  BOOST_TEST_REQUIRE(ledger.ok(), (ledger.ok() ? "" : ledger.error().message));
  return std::move(ledger).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_jti_ledger)

CRDEX_STORE_CASE(a_jti_is_accepted_once_per_issuer_until_it_expires) {
  auto ledger = open_ledger_for_test(backend);
  BOOST_TEST((ledger->remember("iss-a", "jti-1", 200, 100) == Outcome::fresh));
  BOOST_TEST((ledger->remember("iss-a", "jti-1", 200, 150) == Outcome::replayed));
  BOOST_TEST((ledger->remember("iss-b", "jti-1", 200, 150) == Outcome::fresh));  // another issuer's
  BOOST_TEST((ledger->remember("iss-a", "jti-2", 200, 150) == Outcome::fresh));
  // After its token expired the jti may come again (a new token), once.
  BOOST_TEST((ledger->remember("iss-a", "jti-1", 400, 201) == Outcome::fresh));
  BOOST_TEST((ledger->remember("iss-a", "jti-1", 400, 202) == Outcome::replayed));
}

BOOST_AUTO_TEST_CASE(a_jti_used_at_one_replica_is_refused_at_another_postgresql) {
  crdex::test::PostgresBackend backend;
  auto replica_a = open_ledger_for_test(backend);
  auto replica_b = open_ledger_for_test(backend);
  BOOST_TEST((replica_a->remember("ehr", "token-1", 1000, 500) == Outcome::fresh));
  BOOST_TEST((replica_b->remember("ehr", "token-1", 1000, 501) == Outcome::replayed));
  BOOST_TEST((replica_b->remember("ehr", "token-2", 1000, 501) == Outcome::fresh));
  BOOST_TEST((replica_a->remember("ehr", "token-2", 1000, 502) == Outcome::replayed));
}

BOOST_AUTO_TEST_CASE(expired_entries_are_swept_postgresql) {
  crdex::test::PostgresBackend backend;
  auto ledger = open_ledger_for_test(backend);
  BOOST_TEST((ledger->remember("ehr", "old", 150, 100) == Outcome::fresh));
  BOOST_TEST((ledger->remember("ehr", "live", 5000, 100) == Outcome::fresh));
  BOOST_TEST(backend.database().scalar("SELECT COUNT(*) FROM jti_replays") == "2");
  // The next sweep is due a minute after the first one.
  BOOST_TEST((ledger->remember("ehr", "later", 5000, 200) == Outcome::fresh));
  BOOST_TEST((ledger->remember("ehr", "later-still", 5000, 161) == Outcome::fresh));
  BOOST_TEST(backend.database().scalar("SELECT COUNT(*) FROM jti_replays WHERE jti = 'old'") == "0");
  BOOST_TEST(backend.database().scalar("SELECT COUNT(*) FROM jti_replays") == "3");
}

BOOST_AUTO_TEST_CASE(an_unreachable_ledger_fails_closed_postgresql) {
  crdex::test::PostgresBackend backend;
  auto ledger = open_ledger_for_test(backend);
  BOOST_TEST((ledger->remember("ehr", "a", 1000, 100) == Outcome::fresh));
  backend.database().exec("DROP TABLE jti_replays");  // the store stops answering for this table
  BOOST_TEST((ledger->remember("ehr", "b", 1000, 100) == Outcome::unavailable));
}

CRDEX_STORE_CASE(a_call_refused_before_any_work_releases_its_jti) {
  auto ledger = open_ledger_for_test(backend);
  BOOST_TEST((ledger->remember("ehr", "busy", 1000, 100) == Outcome::fresh));
  ledger->settle("ehr", "busy", false);  // 503: nginx or the client may try the same token again
  BOOST_TEST((ledger->remember("ehr", "busy", 1000, 101) == Outcome::fresh));
  ledger->settle("ehr", "busy", true);  // answered: used for good
  BOOST_TEST((ledger->remember("ehr", "busy", 1000, 102) == Outcome::replayed));
}

// A replica that recorded a jti and died before answering (nginx then sends
// the call to another replica): the entry it held is taken over, once.
BOOST_AUTO_TEST_CASE(a_jti_held_by_a_replica_that_is_gone_is_taken_over_postgresql) {
  crdex::test::PostgresBackend backend;
  auto replica_a = open_ledger_for_test(backend);
  auto replica_b = open_ledger_for_test(backend);
  auto replica_c = open_ledger_for_test(backend);
  BOOST_TEST((replica_a->remember("ehr", "in-flight", 1000, 500) == Outcome::fresh));
  BOOST_TEST((replica_a->remember("ehr", "answered", 1000, 500) == Outcome::fresh));
  replica_a->settle("ehr", "answered", true);
  // While A lives, its held jti is refused elsewhere (a concurrent replay).
  BOOST_TEST((replica_b->remember("ehr", "in-flight", 1000, 501) == Outcome::replayed));
  replica_a.reset();  // its session ends, and with it its holder lock
  // PostgreSQL ends the session's backend (and frees its lock) just after
  // the connection closes: asked until then, within a bounded time.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Outcome taken = Outcome::replayed;
  while (taken == Outcome::replayed && std::chrono::steady_clock::now() < deadline)
    taken = replica_b->remember("ehr", "in-flight", 1000, 502);
  BOOST_TEST((taken == Outcome::fresh));
  // Now B holds it: a third replica refuses it, and what A answered stays used.
  BOOST_TEST((replica_c->remember("ehr", "in-flight", 1000, 503) == Outcome::replayed));
  BOOST_TEST((replica_c->remember("ehr", "answered", 1000, 503) == Outcome::replayed));
  replica_b->settle("ehr", "in-flight", true);
  BOOST_TEST(backend.database().scalar("SELECT COUNT(*) FROM jti_replays WHERE holder IS NOT NULL") == "0");
}

BOOST_AUTO_TEST_SUITE_END()
