// SMART launch helper: launch contexts, launch URLs and the SQLite launch
// store (single use, expiry, durability across a restart). SM-04, SM-09, SM-12.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "crdex/smart/launch_store.hpp"
#include "support/fixtures.hpp"

using namespace crdex::smart;
using namespace std::chrono_literals;

namespace {

LaunchContext sample_context() {
  LaunchContext c;
  c.iss = "https://ehr.example.org/fhir";
  c.app_url = "https://apps.payer.example.org/dtr/launch?tenant=acme";
  c.patient = "123";
  c.encounter = "987";
  c.user = "Practitioner/example";
  c.fhir_context = {{"ServiceRequest/mri", "", "ServiceRequest", ""},
                    {"Coverage/B1", "", "Coverage", ""},
                    {"", "http://example.org/Questionnaire/spine|1.0", "Questionnaire", ""}};
  c.app_context = "service=72148";
  return c;
}

// A clock the test moves by hand: expiry without sleeping.
struct ManualClock {
  std::shared_ptr<std::chrono::system_clock::time_point> now =
      std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  LaunchStore::Clock clock() const {
    return [now = now] { return *now; };
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(smart_launch_store)

BOOST_AUTO_TEST_CASE(SM_04_launch_url_keeps_the_app_query_and_adds_launch_and_iss) {
  BOOST_TEST(launch_url("https://app.example.org/launch?tenant=acme", "abc", "https://ehr.example.org/fhir") ==
             "https://app.example.org/launch?tenant=acme&launch=abc&iss=https%3A%2F%2Fehr.example.org%2Ffhir");
  BOOST_TEST(launch_url("https://app.example.org/launch", "a-b_c", "https://ehr/fhir") ==
             "https://app.example.org/launch?launch=a-b_c&iss=https%3A%2F%2Fehr%2Ffhir");
  BOOST_TEST(launch_url("https://app.example.org/launch?#start", "x", "https://ehr/fhir") ==
             "https://app.example.org/launch?launch=x&iss=https%3A%2F%2Fehr%2Ffhir#start");
}

BOOST_AUTO_TEST_CASE(SM_12_context_json_round_trips_and_checks_fhir_context_items) {
  const auto context = sample_context();
  auto read = read_launch_context_json(launch_context_json(context));
  BOOST_REQUIRE(read.ok());
  BOOST_TEST((*read == context));

  auto no_target = read_launch_context_json(
      R"({"iss":"https://ehr/fhir","appUrl":"https://app/launch","patient":"1","fhirContext":[{"type":"Coverage"}]})");
  BOOST_REQUIRE(!no_target.ok());
  BOOST_TEST(no_target.error().expression == "fhirContext[0]");
  auto empty_role = read_launch_context_json(
      R"({"iss":"https://ehr/fhir","appUrl":"https://app/launch","patient":"1","fhirContext":[{"reference":"Coverage/1","role":""}]})");
  BOOST_REQUIRE(!empty_role.ok());
  BOOST_TEST(empty_role.error().expression == "fhirContext[0].role");
  auto relative_iss = read_launch_context_json(R"({"iss":"/fhir","appUrl":"https://app/launch","patient":"1"})");
  BOOST_REQUIRE(!relative_iss.ok());
  BOOST_TEST(relative_iss.error().expression == "iss");
  auto no_patient = read_launch_context_json(R"({"iss":"https://ehr/fhir","appUrl":"https://app/launch"})");
  BOOST_REQUIRE(!no_patient.ok());
  BOOST_TEST(no_patient.error().expression == "patient");
}

BOOST_AUTO_TEST_CASE(SM_09_a_launch_resolves_exactly_once) {
  crdex::test::TempDir dir;
  auto store = LaunchStore::open(dir.path() / "launches.sqlite");
  BOOST_REQUIRE(store.ok());
  auto issued = (*store)->create(sample_context());
  BOOST_REQUIRE(issued.ok());
  BOOST_TEST(issued->launch_id.size() == 43u);
  BOOST_TEST(issued->url.find("launch=" + issued->launch_id) != std::string::npos);
  BOOST_TEST(issued->url.starts_with("https://apps.payer.example.org/dtr/launch?tenant=acme&"));

  auto first = (*store)->resolve(issued->launch_id);
  BOOST_REQUIRE(first.ok());
  BOOST_TEST((*first == sample_context()));
  auto second = (*store)->resolve(issued->launch_id);
  BOOST_REQUIRE(!second.ok());
  BOOST_TEST(second.error().http_status == 404);
  auto unknown = (*store)->resolve("not-a-launch");
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.error().http_status == 404);
}

BOOST_AUTO_TEST_CASE(SM_09_concurrent_resolves_of_one_launch_succeed_once) {
  crdex::test::TempDir dir;
  auto store = LaunchStore::open(dir.path() / "launches.sqlite");
  BOOST_REQUIRE(store.ok());
  auto issued = (*store)->create(sample_context());
  BOOST_REQUIRE(issued.ok());
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if ((*store)->resolve(issued->launch_id).ok()) ++successes;
    });
  for (auto& t : threads) t.join();
  BOOST_TEST(successes.load() == 1);
}

BOOST_AUTO_TEST_CASE(SM_09_an_expired_launch_never_resolves_and_is_purged) {
  crdex::test::TempDir dir;
  ManualClock clock;
  auto store = LaunchStore::open(dir.path() / "launches.sqlite", clock.clock());
  BOOST_REQUIRE(store.ok());
  auto short_lived = (*store)->create(sample_context(), 60s);
  auto long_lived = (*store)->create(sample_context(), 600s);
  BOOST_REQUIRE(short_lived.ok());
  BOOST_REQUIRE(long_lived.ok());
  *clock.now += 61s;
  auto purged = (*store)->purge_expired();
  BOOST_REQUIRE(purged.ok());
  BOOST_TEST(*purged == 1);
  BOOST_TEST((*store)->resolve(short_lived->launch_id).error().http_status == 404);
  BOOST_TEST((*store)->resolve(long_lived->launch_id).ok());

  // Expired but not purged yet: still refused.
  auto another = (*store)->create(sample_context(), 10s);
  BOOST_REQUIRE(another.ok());
  *clock.now += 10s;
  auto late = (*store)->resolve(another->launch_id);
  BOOST_REQUIRE(!late.ok());
  BOOST_TEST(late.error().message == "the launch has expired");
}

BOOST_AUTO_TEST_CASE(SM_09_launches_survive_a_restart_and_expired_ones_do_not) {
  crdex::test::TempDir dir;
  ManualClock clock;
  std::string valid_id, expiring_id;
  {
    auto store = LaunchStore::open(dir.path() / "launches.sqlite", clock.clock());
    BOOST_REQUIRE(store.ok());
    valid_id = (*store)->create(sample_context(), 600s)->launch_id;
    expiring_id = (*store)->create(sample_context(), 30s)->launch_id;
  }
  *clock.now += 31s;
  auto reopened = LaunchStore::open(dir.path() / "launches.sqlite", clock.clock());
  BOOST_REQUIRE(reopened.ok());
  auto valid = (*reopened)->resolve(valid_id);
  BOOST_REQUIRE(valid.ok());
  BOOST_TEST(valid->app_context == "service=72148");
  BOOST_TEST((*reopened)->resolve(expiring_id).error().http_status == 404);
}

BOOST_AUTO_TEST_CASE(SM_09_a_launch_bound_to_a_client_refuses_others_without_being_used_up) {
  crdex::test::TempDir dir;
  auto store = LaunchStore::open(dir.path() / "launches.sqlite");
  BOOST_REQUIRE(store.ok());
  auto context = sample_context();
  context.client_id = "dtr-app";
  auto issued = (*store)->create(context);
  BOOST_REQUIRE(issued.ok());
  auto other = (*store)->resolve(issued->launch_id, "other-app");
  BOOST_REQUIRE(!other.ok());
  BOOST_TEST(other.error().http_status == 403);
  BOOST_TEST((*store)->resolve(issued->launch_id, "dtr-app").ok());
}

BOOST_AUTO_TEST_CASE(the_store_keeps_no_launch_id_in_clear) {
  crdex::test::TempDir dir;
  std::string id;
  {
    auto store = LaunchStore::open(dir.path() / "launches.sqlite");
    BOOST_REQUIRE(store.ok());
    id = (*store)->create(sample_context())->launch_id;
  }
  std::string bytes = crdex::test::read_file(dir.path() / "launches.sqlite");
  if (std::filesystem::exists(dir.path() / "launches.sqlite-wal"))
    bytes += crdex::test::read_file(dir.path() / "launches.sqlite-wal");
  BOOST_TEST(bytes.find(id) == std::string::npos);
  BOOST_TEST(bytes.find("service=72148") != std::string::npos);  // the context is there, the id is not
}

BOOST_AUTO_TEST_CASE(bad_lifetimes_and_contexts_are_refused) {
  crdex::test::TempDir dir;
  auto store = LaunchStore::open(dir.path() / "launches.sqlite");
  BOOST_REQUIRE(store.ok());
  BOOST_TEST((*store)->create(sample_context(), 0s).error().http_status == 400);
  auto context = sample_context();
  context.app_url = "javascript:alert(1)";
  BOOST_TEST((*store)->create(context).error().expression == "appUrl");
}

BOOST_AUTO_TEST_SUITE_END()
