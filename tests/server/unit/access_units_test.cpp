// Pieces of the access gate without a process: SMART scope matching for
// system-to-system routes, the operators file, and the per-caller rate limiter.
#include <boost/test/unit_test.hpp>

#include "access_gate.hpp"
#include "rate_limiter.hpp"

using namespace crdex::server;

BOOST_AUTO_TEST_SUITE(server_access_units)

BOOST_AUTO_TEST_CASE(system_scopes_grant_their_type_and_interactions_only) {
  const std::vector<std::string> granted = {"system/Task.rs", "patient/DocumentReference.c", "openid"};
  BOOST_TEST(scopes_allow(granted, "Task", 'r'));
  BOOST_TEST(scopes_allow(granted, "Task", 's'));
  BOOST_TEST(!scopes_allow(granted, "Task", 'c'));
  BOOST_TEST(!scopes_allow(granted, "DocumentReference", 'c'));  // patient/ is not system/
  BOOST_TEST(scopes_allow({"system/*.cruds"}, "DocumentReference", 'c'));
  BOOST_TEST(scopes_allow({"system/Task.read"}, "Task", 's'));  // v1 .read = .rs
  BOOST_TEST(!scopes_allow({"system/Task.read"}, "Task", 'c'));
  BOOST_TEST(!scopes_allow({"system/Taskx.rs"}, "Task", 'r'));
}

BOOST_AUTO_TEST_CASE(the_operators_file_keeps_hashes_and_known_roles_only) {
  const std::string hash(64, 'a');
  auto ok = parse_operators(R"({"operators":[{"name":"a","token_sha256":")" + hash +
                            R"(","roles":["bulk"],"payers":["p1"]}]})");
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(ok->at(0).token_hash == "sha256:" + hash);
  BOOST_TEST(ok->at(0).payers.at(0) == "p1");
  BOOST_TEST(!parse_operators(R"({"operators":[{"name":"a","token_sha256":"short","roles":["bulk"]}]})").ok());
  BOOST_TEST(!parse_operators(R"({"operators":[{"name":"a","token_sha256":")" + hash + R"(","roles":["root"]}]})")
                  .ok());
  BOOST_TEST(!parse_operators(R"({"operators":[]})").ok());
}

BOOST_AUTO_TEST_CASE(the_rate_limiter_refills_per_caller) {
  RateLimiter limiter(60);  // one a second, bursts of 60
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 60; ++i) BOOST_TEST(limiter.admit("a", t0) == 0);
  BOOST_TEST(limiter.admit("a", t0) == 1);  // empty: one second to the next call
  BOOST_TEST(limiter.admit("b", t0) == 0);  // another caller's budget is its own
  BOOST_TEST(limiter.admit("a", t0 + std::chrono::milliseconds(1100)) == 0);
  RateLimiter slow(2);  // two a minute
  BOOST_TEST(slow.admit("c", t0) == 0);
  BOOST_TEST(slow.admit("c", t0) == 0);
  BOOST_TEST(slow.admit("c", t0) == 30);
}

BOOST_AUTO_TEST_SUITE_END()
