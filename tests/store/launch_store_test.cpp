// SMART launches on both back ends, with one connection per replica: a
// launch created through replica A resolves exactly once across A and B; a
// launch bound to a client refuses another without being used up; an expired
// one never resolves.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "crdex/smart/launch_store.hpp"
#include "store/store_backends.hpp"

namespace {

using crdex::smart::LaunchContext;
using crdex::smart::LaunchStore;

LaunchContext replica_launch_context(const std::string& client_id = {}) {
  LaunchContext c;
  c.iss = "https://ehr.example.org/fhir";
  c.app_url = "https://apps.payer.example.org/dtr/launch";
  c.patient = "123";
  c.client_id = client_id;
  c.fhir_context = {{"ServiceRequest/mri", "", "ServiceRequest", ""}};
  return c;
}

std::unique_ptr<LaunchStore> open_launches_for_test(const crdex::test::StoreBackend& backend,
                                                    LaunchStore::Clock clock = std::chrono::system_clock::now) {
  auto store = crdex::smart::open_launch_store(backend.location(), std::move(clock));
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().message));
  return std::move(store).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_launches)

CRDEX_STORE_CASE(a_launch_created_at_one_replica_resolves_once_across_both) {
  auto a = open_launches_for_test(backend);
  auto b = open_launches_for_test(backend);
  auto issued = a->create(replica_launch_context());
  BOOST_TEST_REQUIRE(issued.ok());
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      if ((i % 2 ? *a : *b).resolve(issued->launch_id).ok()) ++successes;
    });
  for (auto& thread : threads) thread.join();
  BOOST_TEST(successes.load() == 1);
  auto again = b->resolve(issued->launch_id);
  BOOST_TEST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().http_status == 404);
}

CRDEX_STORE_CASE(a_bound_launch_refuses_another_client_and_stays_usable) {
  auto a = open_launches_for_test(backend);
  auto b = open_launches_for_test(backend);
  auto issued = a->create(replica_launch_context("dtr-app"));
  BOOST_TEST_REQUIRE(issued.ok());
  auto refused = b->resolve(issued->launch_id, "other-app");
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().http_status == 403);
  auto resolved = b->resolve(issued->launch_id, "dtr-app");
  BOOST_TEST_REQUIRE(resolved.ok());
  BOOST_TEST(resolved->patient == "123");
  BOOST_TEST(resolved->client_id == "dtr-app");
}

CRDEX_STORE_CASE(an_expired_launch_never_resolves_and_is_purged) {
  auto now = std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  auto store = open_launches_for_test(backend, [now] { return *now; });
  auto issued = store->create(replica_launch_context(), std::chrono::seconds(60));
  BOOST_TEST_REQUIRE(issued.ok());
  auto kept = store->create(replica_launch_context(), std::chrono::seconds(600));
  BOOST_TEST_REQUIRE(kept.ok());
  *now += std::chrono::seconds(61);
  auto expired = store->resolve(issued->launch_id);
  BOOST_TEST_REQUIRE(!expired.ok());
  BOOST_TEST(expired.error().http_status == 404);
  auto third = store->create(replica_launch_context(), std::chrono::seconds(60));
  BOOST_TEST_REQUIRE(third.ok());
  BOOST_TEST(*store->purge_expired() == 0);  // creating purged what had expired
  BOOST_TEST(store->resolve(kept->launch_id).ok());
}

BOOST_AUTO_TEST_SUITE_END()
