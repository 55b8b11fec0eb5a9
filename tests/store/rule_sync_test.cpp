// Rule changes reach another replica: two engines, each with its own
// connection to one rule store and its own RuleSync; a publish through A is
// served by B within 1 s. On PostgreSQL the periodic check is set to 30 s,
// so only the LISTEN/NOTIFY announcement can make it in time; on SQLite
// (two processes on one --data) the periodic check does it.

#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>

#include "crdex/config/rule_store.hpp"
#include "crdex/config/stored_catalog.hpp"
#include "crdex/hooks/rule_sync.hpp"
#include "store/store_backends.hpp"

namespace {

// One replica's rule state: store connection, engine, publisher.
struct SyncReplica {
  std::shared_ptr<crdex::config::RuleStore> store;
  std::shared_ptr<crdex::hooks::Engine> engine;
  std::shared_ptr<crdex::hooks::RulePublisher> publisher;

  explicit SyncReplica(const crdex::test::StoreBackend& backend) {
    auto opened = crdex::config::open_rule_store(backend.location());
    BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
    store = std::move(opened).value();
    auto seeded = crdex::config::seed_empty_store(*store, crdex::test::example_rules_dir());
    BOOST_TEST_REQUIRE(seeded.ok());
    const auto generation = store->generation();
    BOOST_TEST_REQUIRE(generation.ok());
    auto catalog = crdex::config::load_current_catalog(*store);
    BOOST_TEST_REQUIRE(catalog.ok());
    engine = std::make_shared<crdex::hooks::Engine>(std::move(catalog).value());
    publisher = std::make_shared<crdex::hooks::RulePublisher>(store, engine, *generation);
  }

  int served_version(const std::string& payer) const {
    for (const auto& set : engine->rules()->payers())
      if (set.payer_id == payer) return set.version;
    return 0;
  }
};

constexpr const char* kSyncPayer = "acme-health-plan";

}  // namespace

BOOST_AUTO_TEST_SUITE(store_rule_sync)

CRDEX_STORE_CASE(a_publish_through_one_replica_is_served_by_another_within_a_second) {
  SyncReplica a(backend);
  SyncReplica b(backend);
  BOOST_TEST_REQUIRE(b.served_version(kSyncPayer) == 1);

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> errors;
  crdex::hooks::RuleSyncOptions options;
  options.check_interval = backend.location().is_postgresql() ? std::chrono::milliseconds(30'000)
                                                              : std::chrono::milliseconds(200);
  options.report = [&](bool error, const std::string& message) {
    std::lock_guard lock(mutex);
    if (error) errors.push_back(message);
    changed.notify_all();
  };
  crdex::hooks::RuleSync sync_b(b.publisher, options);

  const std::string document = crdex::test::read_file(crdex::test::example_rules_dir() / "acme-health-plan.json");
  auto published = a.publisher->publish(kSyncPayer, document, "alice", "through replica A");
  BOOST_TEST_REQUIRE(published.ok());
  BOOST_TEST(published.value->version == 2);
  BOOST_TEST(a.served_version(kSyncPayer) == 2);

  std::unique_lock lock(mutex);
  const bool in_time =
      changed.wait_for(lock, std::chrono::seconds(1), [&] { return b.served_version(kSyncPayer) == 2; });
  BOOST_TEST(in_time, "replica B still serves version " << b.served_version(kSyncPayer) << " after 1 s");
  BOOST_TEST(errors.empty());
  lock.unlock();

  // A rollback travels the same way.
  auto rolled_back = a.publisher->rollback(kSyncPayer, 1, "alice");
  BOOST_TEST_REQUIRE(rolled_back.ok());
  lock.lock();
  BOOST_TEST(changed.wait_for(lock, std::chrono::seconds(1), [&] { return b.served_version(kSyncPayer) == 1; }));
}

CRDEX_STORE_CASE(an_unchanged_store_is_not_reloaded) {
  SyncReplica a(backend);
  const auto before = a.engine->rules();
  auto refreshed = a.publisher->refresh_if_changed();
  BOOST_TEST_REQUIRE(refreshed.ok());
  BOOST_TEST(!*refreshed);
  BOOST_TEST(a.engine->rules() == before);  // the very same snapshot
}

BOOST_AUTO_TEST_CASE(connections_the_server_closed_are_reopened_postgresql) {
  crdex::test::PostgresBackend backend;
  SyncReplica a(backend);
  SyncReplica b(backend);
  auto feed = b.store->change_feed();
  BOOST_TEST_REQUIRE(feed.ok());
  // What a PostgreSQL restart or fail-over does to every connection.
  backend.database().exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  // The next statement outside a transaction runs on a fresh connection.
  auto generation = a.store->generation();
  BOOST_TEST_REQUIRE(generation.ok(), (generation.ok() ? "" : generation.error().message));
  // The feed reports the break (announcements may have been missed) ...
  BOOST_TEST((*feed)->wait(std::chrono::seconds(2)));
  // ... and listens again: the next publish is announced.
  const std::string document = crdex::test::read_file(crdex::test::example_rules_dir() / "acme-health-plan.json");
  BOOST_TEST_REQUIRE(a.publisher->publish(kSyncPayer, document, "alice", "after the break").ok());
  BOOST_TEST((*feed)->wait(std::chrono::seconds(2)));
  BOOST_TEST(*b.store->generation() == *generation + 1);
}

BOOST_AUTO_TEST_SUITE_END()
