// CDS client authentication as a unit (the server core's ClientAuthenticator):
// a registry read from JSON, tokens signed for real, time injected.

#include <boost/test/unit_test.hpp>

#include "client_auth.hpp"
#include "client_registry.hpp"
#include "crdex/smart/base64url.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"

using namespace crdex;
using namespace crdex::server;
using crdex::smart::JwsAlgorithm;

namespace {

constexpr int64_t kUnitAuthNow = 1'900'000'000;
constexpr const char* kUnitAuthIssuer = "https://ehr.unit.example.org";
constexpr const char* kUnitAuthAudience = "https://crd.payer.example/cds-services/crdex-order-sign";

struct UnitAuth {
  smart::SigningKey key = [] {
    auto generated = smart::SigningKey::generate(JwsAlgorithm::ES384, "unit-1");
    BOOST_REQUIRE(generated.ok());
    return std::move(generated).value();
  }();
  std::unique_ptr<ClientAuthenticator> auth;
  int fetches = 0;

  UnitAuth() {
    const smart::PublishedKey published[] = {{&key, JwsAlgorithm::ES384}};
    const std::string json = std::string(R"({"clients":[{"iss":")") + kUnitAuthIssuer + R"(","jwks":)" +
                             smart::public_jwks_json(published) + "}]}";
    auto registry = parse_client_registry(json, ".");
    BOOST_REQUIRE(registry.ok());
    auth = std::make_unique<ClientAuthenticator>(
        std::move(registry).value(),
        [this](const std::string&) -> fhir::Result<std::string> {
          ++fetches;
          return fhir::Error{502, fhir::IssueType::transient, "no network in unit tests", ""};
        },
        [] { return kUnitAuthNow; });
  }

  std::string token(const std::string& iss = kUnitAuthIssuer, int64_t exp_in = 300,
                    const std::string& jti = smart::random_token()) const {
    const std::string claims = R"({"iss":")" + iss + R"(","aud":")" + kUnitAuthAudience + R"(","exp":)" +
                               std::to_string(kUnitAuthNow + exp_in) + R"(,"iat":)" + std::to_string(kUnitAuthNow) +
                               R"(,"jti":")" + jti + "\"}";
    auto signed_jwt = smart::sign_jwt(key, JwsAlgorithm::ES384, claims);
    BOOST_REQUIRE(signed_jwt.ok());
    return *signed_jwt;
  }

  ClientAuthenticator::Outcome check(const std::string& header, std::string_view audience = kUnitAuthAudience) const {
    return auth->authenticate(header, audience, true);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(server_client_auth_unit, UnitAuth)

BOOST_AUTO_TEST_CASE(a_signed_token_from_a_trusted_issuer_is_accepted_once) {
  const std::string header = "Bearer " + token();
  const auto first = check(header);
  BOOST_TEST((first.verdict == ClientAuthenticator::Verdict::accepted), first.error.message);
  BOOST_TEST(first.issuer == kUnitAuthIssuer);
  // The same jti again is a replay.
  const auto again = check(header);
  BOOST_TEST((again.verdict == ClientAuthenticator::Verdict::rejected));
  BOOST_TEST(again.error.http_status == 401);
  BOOST_TEST(fetches == 0);  // inline keys: nothing fetched
}

BOOST_AUTO_TEST_CASE(the_bearer_scheme_is_case_insensitive) {
  BOOST_TEST((check("bearer " + token()).verdict == ClientAuthenticator::Verdict::accepted));
}

BOOST_AUTO_TEST_CASE(missing_wrong_audience_expired_and_unknown_issuer_are_refused) {
  for (const auto& [header, audience] : std::vector<std::pair<std::string, std::string>>{
           {"", kUnitAuthAudience},
           {"Basic dXNlcjpwYXNz", kUnitAuthAudience},
           {"Bearer " + token(), "https://elsewhere.example/cds-services/crdex-order-sign"},
           {"Bearer " + token(kUnitAuthIssuer, -600), kUnitAuthAudience},
           {"Bearer " + token("https://stranger.example.org"), kUnitAuthAudience},
           {"Bearer not.a.jwt", kUnitAuthAudience},
       }) {
    const auto outcome = check(header, audience);
    BOOST_TEST((outcome.verdict == ClientAuthenticator::Verdict::rejected), header);
    BOOST_TEST(outcome.error.http_status == 401);
    BOOST_TEST(!outcome.error.message.empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
