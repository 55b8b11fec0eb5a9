// Pieces of the access gate without a process: SMART scope matching for
// system-to-system routes, the operators file, and the per-caller rate limiter.
#include <boost/test/unit_test.hpp>

#include "access_gate.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/signing_key.hpp"
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

BOOST_AUTO_TEST_CASE(a_jwt_without_jku_from_an_issuer_with_only_a_jku_allowlist_is_refused) {
  auto registry = parse_client_registry(
      R"({"authorization_servers":[{"iss":"https://as.unit.example","jku":["https://as.unit.example/jwks"]}]})", ".",
      "authorization_servers");
  BOOST_REQUIRE(registry.ok());
  int fetches = 0;
  const AccessTokenVerifier verifier(
      std::move(registry).value(), "https://crdex.unit.example",
      [&fetches](const std::string&) -> crdex::fhir::Result<std::string> {
        ++fetches;
        return crdex::fhir::Error{401, crdex::fhir::IssueType::security, "no fetch expected", ""};
      },
      [] { return int64_t{1'900'000'000}; });
  auto key = crdex::smart::SigningKey::generate(crdex::smart::JwsAlgorithm::RS384, "k1");
  BOOST_REQUIRE(key.ok());
  auto token = crdex::smart::sign_jwt(*key, crdex::smart::JwsAlgorithm::RS384,
                                      R"({"iss":"https://as.unit.example","aud":"https://crdex.unit.example",)"
                                      R"("exp":1900000300,"scope":"system/Task.rs"})");
  BOOST_REQUIRE(token.ok());
  const auto outcome = verifier.verify(*token, true, true);
  BOOST_TEST((outcome.verdict == AccessTokenVerifier::Verdict::rejected));
  BOOST_TEST(outcome.error.find("no key set") != std::string::npos, outcome.error);
  BOOST_TEST(fetches == 0);
}

BOOST_AUTO_TEST_SUITE_END()
