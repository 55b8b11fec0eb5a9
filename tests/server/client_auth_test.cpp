// CDS client authentication against the real crdex-server (CDS Hooks 2.0
// §Trusting CDS Clients; conformance rows CH-25..CH-32): the attack matrix,
// each attack its own case, and valid ES384 / RS384 tokens from inline, file
// and fetched key sets. Keys are made by each test; fetched key sets come
// from a loopback publisher that counts its requests.
#include <openssl/hmac.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <tuple>
#include <vector>

#include "crdex/smart/base64url.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"
#include "loopback_jwks_server.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;
using smart::JwsAlgorithm;

namespace {

constexpr const char* kIssuer = "https://ehr.example.org";
constexpr const char* kUrlIssuer = "https://url.ehr.example.org";
constexpr const char* kTenantIssuer = "https://tenant.ehr.example.org";
// Shaped like the CDS Hooks Sandbox's tokens: ES384, a kid, and a jku on its
// public site (never contacted by these tests: no network beyond loopback).
constexpr const char* kSandboxIssuer = "https://sandbox.cds-hooks.org";
constexpr const char* kSandboxJku = "https://sandbox.cds-hooks.org/.well-known/jwks.json";
constexpr const char* kSandboxKid = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f";
constexpr const char* kOrderSignPath = "/cds-services/crdex-order-sign";
// The fhirServer of examples/requests/order-sign.json, listed for the issuers above.
constexpr const char* kExampleFhirServers = R"(,"fhir_servers":["http://example.org/some-payer/fhir/crd"])";
// An issuer registered without "fhir_servers": only its own origin may be named.
constexpr const char* kOriginIssuer = "https://origin.ehr.example.org";

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

smart::SigningKey new_key(JwsAlgorithm algorithm, const std::string& kid) {
  auto key = smart::SigningKey::generate(algorithm, kid);
  BOOST_REQUIRE(key.ok());
  return std::move(key).value();
}

std::string jwks_of(std::initializer_list<smart::PublishedKey> keys) {
  return smart::public_jwks_json(std::span<const smart::PublishedKey>(keys.begin(), keys.size()));
}

// Claims as a CDS client sends them: aud a JSON value (string or array).
std::string claims(const std::string& iss, const std::string& aud_json, int64_t exp_in = 300, int64_t iat_in = 0,
                   const std::string& extra = "") {
  return R"({"iss":")" + iss + R"(","aud":)" + aud_json + R"(,"exp":)" + std::to_string(now() + exp_in) +
         R"(,"iat":)" + std::to_string(now() + iat_in) + R"(,"jti":")" + smart::random_token() + "\"" + extra + "}";
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// A token with a header of the test's choosing, signed for real.
std::string signed_token(const smart::SigningKey& key, JwsAlgorithm algorithm, const std::string& header,
                         const std::string& payload) {
  std::string input = smart::base64url_encode(header) + "." + smart::base64url_encode(payload);
  auto signature = key.sign(algorithm, input);
  BOOST_REQUIRE(signature.ok());
  return input + "." + smart::base64url_encode(std::span<const uint8_t>(*signature));
}

struct AuthServer {
  test::TempDir dir;
  test::LoopbackJwksServer jwks;
  smart::SigningKey ec = new_key(JwsAlgorithm::ES384, "ec-1");
  smart::SigningKey rsa = new_key(JwsAlgorithm::RS384, "rsa-1");
  smart::SigningKey tenant_key = new_key(JwsAlgorithm::ES384, "tenant-1");
  smart::SigningKey sandbox = new_key(JwsAlgorithm::ES384, kSandboxKid);
  std::string body = test::read_file(test::source_dir() / "examples/requests/order-sign.json");
  std::unique_ptr<test::ServerProcess> server;

  AuthServer() {
    // The URL issuer publishes the same RSA key (RSA key generation is slow).
    jwks.publish("/keys.json", jwks_of({{&rsa, JwsAlgorithm::RS384}}));
    std::ofstream(dir.path() / "tenant-keys.json") << jwks_of({{&tenant_key, JwsAlgorithm::ES384}});
    server = start(3600);
  }

  // A crdex-server trusting the three test issuers; `min_refresh` bounds how
  // often it may fetch a key set.
  std::unique_ptr<test::ServerProcess> start(int min_refresh, std::vector<std::string> extra = {}) {
    const auto file = dir.path() / ("clients-" + std::to_string(min_refresh) + ".json");
    std::ofstream(file) << R"({"settings":{"clock_skew_seconds":30,"jwks_min_refresh_seconds":)" << min_refresh
                        << R"(},"clients":[)"
                        << R"({"iss":")" << kIssuer << R"(","jwks":)"
                        << jwks_of({{&ec, JwsAlgorithm::ES384}, {&rsa, JwsAlgorithm::RS384}}) << kExampleFhirServers
                        << "},"
                        << R"({"iss":")" << kUrlIssuer << R"(","jwks_url":")" << jwks.url("/keys.json")
                        << R"(","jku":[")" << jwks.url("/alt-keys.json") << R"("])" << kExampleFhirServers << "},"
                        << R"({"iss":")" << kTenantIssuer << R"(","jwks_file":"tenant-keys.json","tenant":"t-1")"
                        << kExampleFhirServers << "},"
                        << R"({"iss":")" << kOriginIssuer << R"(","jwks":)" << jwks_of({{&ec, JwsAlgorithm::ES384}})
                        << "},"
                        << R"({"iss":")" << kSandboxIssuer << R"(","jwks":)" << jwks_of({{&sandbox, JwsAlgorithm::ES384}})
                        << R"(,"jku":[")" << jwks.url("/sandbox-keys.json") << R"("])" << kExampleFhirServers
                        << "}]}";
    extra.insert(extra.begin(), {"--clients", file.string()});
    return std::make_unique<test::ServerProcess>(extra);
  }

  std::string service_url(const test::ServerProcess& s) const { return s.base_url() + kOrderSignPath; }
  std::string service_url() const { return service_url(*server); }
  std::string aud() const { return quoted(service_url()); }

  test::HttpResult call(const std::string& token, const test::ServerProcess* other = nullptr,
                        std::vector<std::string> headers = {}) const {
    headers.push_back("Authorization: Bearer " + token);
    return test::http_request("POST", service_url(other ? *other : *server), body, "application/json", headers);
  }
  std::string token(const smart::SigningKey& key, JwsAlgorithm algorithm, const std::string& payload,
                    const std::string& jku = {}) const {
    auto signed_jwt = smart::sign_jwt(key, algorithm, payload, jku);
    BOOST_REQUIRE(signed_jwt.ok());
    return *signed_jwt;
  }
};

// 401, a Bearer challenge, an OperationOutcome saying `why`, and nothing of
// the token or keys echoed back.
void expect_refused(const test::HttpResult& response, const std::string& why, const std::string& token = {}) {
  BOOST_TEST(response.status == 401);
  BOOST_TEST(response.header("www-authenticate").starts_with("Bearer"));
  BOOST_TEST(response.header("content-type").starts_with("application/fhir+json"));
  BOOST_TEST(response.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos);
  BOOST_TEST(response.body.find("\"code\":\"security\"") != std::string::npos);
  BOOST_TEST(response.body.find(why) != std::string::npos, response.body);
  if (token.size() > 40) BOOST_TEST(response.body.find(token.substr(token.size() - 40)) == std::string::npos);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(client_auth, AuthServer)

BOOST_AUTO_TEST_CASE(CH28_valid_es384_token_from_inline_jwks_gets_200) {
  const auto response = call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, aud())));
  BOOST_TEST(response.status == 200, response.body);
  BOOST_TEST(response.body.find("\"systemActions\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CH28_valid_rs384_token_from_inline_jwks_gets_200) {
  BOOST_TEST(call(token(rsa, JwsAlgorithm::RS384, claims(kIssuer, aud()))).status == 200);
}

BOOST_AUTO_TEST_CASE(CH28_CH32_valid_rs384_token_from_the_issuers_jwks_url_gets_200_and_keys_are_cached) {
  for (int i = 0; i < 3; ++i) {
    const auto response = call(token(rsa, JwsAlgorithm::RS384, claims(kUrlIssuer, aud())), nullptr,
                               {"X-Request-Id: jwks-call-" + std::to_string(i)});
    BOOST_TEST(response.status == 200, response.body);
  }
  BOOST_TEST(jwks.requests("/keys.json") == 1);  // parsed once, then from the cache
  // The fetch names the call it was made for.
  BOOST_TEST(jwks.last_request_id("/keys.json") == "jwks-call-0");
}

BOOST_AUTO_TEST_CASE(CH32_valid_es384_token_naming_an_allowlisted_jku_gets_200) {
  const auto rotated = new_key(JwsAlgorithm::ES384, "alt-1");
  jwks.publish("/alt-keys.json", jwks_of({{&rotated, JwsAlgorithm::ES384}}));
  const auto response =
      call(token(rotated, JwsAlgorithm::ES384, claims(kUrlIssuer, aud()), jwks.url("/alt-keys.json")));
  BOOST_TEST(response.status == 200, response.body);
  BOOST_TEST(jwks.requests("/alt-keys.json") == 1);
}

BOOST_AUTO_TEST_CASE(CH25_missing_authorization_gets_401_with_a_bearer_challenge) {
  const auto response = test::http_request("POST", service_url(), body);
  expect_refused(response, "requires an Authorization: Bearer JWT");
  BOOST_TEST(response.header("www-authenticate") == R"(Bearer realm="crdex")");
}

// Feedback comes from the same CDS clients and carries the same JWT.
BOOST_AUTO_TEST_CASE(CH25_feedback_needs_the_clients_jwt_too) {
  const std::string feedback = R"({"feedback":[{"card":"9368d37b-283f-44a0-93ea-547cebab93ed","outcome":"overridden",
      "outcomeTimestamp":"2026-11-22T10:00:00Z"}]})";
  const auto url = service_url() + "/feedback";
  expect_refused(test::http_request("POST", url, feedback), "requires an Authorization: Bearer JWT");
  const auto accepted = test::http_request("POST", url, feedback, "application/json",
                                           {"Authorization: Bearer " +
                                            token(ec, JwsAlgorithm::ES384, claims(kIssuer, quoted(url)))});
  BOOST_TEST(accepted.status == 200, accepted.body);
}

BOOST_AUTO_TEST_CASE(CH25_basic_credentials_get_401) {
  const auto response =
      test::http_request("POST", service_url(), body, "application/json", {"Authorization: Basic dXNlcjpwYXNz"});
  expect_refused(response, "not a Bearer token");
}

BOOST_AUTO_TEST_CASE(CH25_garbage_token_gets_401) {
  expect_refused(call("this-is-not-a-jwt"), "not a JWT in compact form");
  expect_refused(call("e30.e30.e30.e30"), "not a JWT in compact form");
  expect_refused(call("%%%.%%%.%%%"), "not base64url");
}

BOOST_AUTO_TEST_CASE(CH25_truncated_token_gets_401) {
  const auto valid = token(ec, JwsAlgorithm::ES384, claims(kIssuer, aud()));
  expect_refused(call(valid.substr(0, valid.size() - 8)), "ES384 signature must be 96 bytes", valid);
  expect_refused(call(valid.substr(0, valid.rfind('.'))), "not a JWT in compact form");
  expect_refused(call(valid.substr(0, valid.find('.') + 5)), "not a JWT in compact form");
}

BOOST_AUTO_TEST_CASE(CH25_huge_token_gets_401_and_the_server_keeps_serving) {
  const std::string huge = std::string(1'000'000, 'e') + ".e30.e30";
  expect_refused(call(huge), "longer than 16384 bytes");
  BOOST_TEST(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, aud()))).status == 200);
}

BOOST_AUTO_TEST_CASE(CH25_without_a_clients_file_every_call_is_refused_but_discovery_is_open) {
  test::ServerProcess closed({}, {}, true, {}, /*client_auth=*/true);
  const auto response = test::http_request("POST", closed.base_url() + kOrderSignPath, body, "application/json",
                                           {"Authorization: Bearer " + token(ec, JwsAlgorithm::ES384, claims(kIssuer, quoted(closed.base_url() + kOrderSignPath)))});
  expect_refused(response, "issuer is not a configured client");
  BOOST_TEST(test::http_get(closed.base_url() + "/cds-services").status == 200);
  closed.stop(SIGTERM);
  BOOST_TEST(closed.stderr_text().find("every hook call will be refused") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CH26_alg_none_gets_401) {
  const std::string unsigned_jwt = smart::base64url_encode(R"({"alg":"none","kid":"ec-1","typ":"JWT"})") + "." +
                                   smart::base64url_encode(claims(kIssuer, aud())) + ".";
  expect_refused(call(unsigned_jwt), "algorithm \\\"none\\\" is not accepted");
}

// Algorithm confusion: HMAC-SHA256 keyed with the issuer's public RSA JWK.
BOOST_AUTO_TEST_CASE(CH27_hs256_with_the_public_key_as_secret_gets_401) {
  const std::string secret = rsa.public_jwk_json(JwsAlgorithm::RS384);
  const std::string input = smart::base64url_encode(R"({"alg":"HS256","kid":"rsa-1","typ":"JWT"})") + "." +
                            smart::base64url_encode(claims(kIssuer, aud()));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &mac_length);
  const std::string forged = input + "." + smart::base64url_encode(std::span<const uint8_t>(mac, mac_length));
  expect_refused(call(forged), "algorithm \\\"HS256\\\" is not accepted", forged);
}

BOOST_AUTO_TEST_CASE(CH32_token_signed_with_the_wrong_key_gets_401) {
  const auto impostor = new_key(JwsAlgorithm::ES384, "ec-1");  // same kid, other key
  const auto forged = token(impostor, JwsAlgorithm::ES384, claims(kIssuer, aud()));
  expect_refused(call(forged), "signature does not verify", forged);
}

BOOST_AUTO_TEST_CASE(CH30_expired_token_gets_401) {
  expect_refused(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, aud(), -600, -900))), "has expired");
}

BOOST_AUTO_TEST_CASE(CH30_token_issued_in_the_future_gets_401) {
  expect_refused(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, aud(), 900, 600))), "\\\"iat\\\" is in the future");
}

BOOST_AUTO_TEST_CASE(CH30_token_living_longer_than_allowed_gets_401) {
  expect_refused(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, aud(), 7 * 86400))), "s ahead");
}

BOOST_AUTO_TEST_CASE(CH30_each_required_header_field_and_claim_missing_gets_401) {
  const auto t = std::to_string(now());
  const auto e = std::to_string(now() + 300);
  const std::string base_header = R"({"alg":"ES384","kid":"ec-1","typ":"JWT"})";
  const auto with = [&](const std::string& fields) {
    return R"({"iss":")" + std::string(kIssuer) + R"(","aud":)" + aud() + fields + "}";
  };
  const std::tuple<std::string, std::string, std::string> cases[] = {
      {R"({"alg":"ES384","typ":"JWT"})", with(R"(,"exp":)" + e + R"(,"iat":)" + t + R"(,"jti":"a")"), "no \\\"kid\\\""},
      {R"({"alg":"ES384","kid":"ec-1"})", with(R"(,"exp":)" + e + R"(,"iat":)" + t + R"(,"jti":"b")"), "no \\\"typ\\\""},
      {R"({"alg":"ES384","kid":"ec-1","typ":"JOSE+JSON"})", with(R"(,"exp":)" + e + R"(,"iat":)" + t + R"(,"jti":"c")"),
       "\\\"typ\\\" is not JWT"},
      {base_header, with(R"(,"iat":)" + t + R"(,"jti":"d")"), "no \\\"exp\\\""},
      {base_header, with(R"(,"exp":)" + e + R"(,"jti":"e")"), "no \\\"iat\\\""},
      {base_header, with(R"(,"exp":)" + e + R"(,"iat":)" + t), "no \\\"jti\\\""},
      {base_header, R"({"aud":)" + aud() + R"(,"exp":)" + e + R"(,"iat":)" + t + R"(,"jti":"f"})", "no \\\"iss\\\""},
      {base_header, R"({"iss":")" + std::string(kIssuer) + R"(","exp":)" + e + R"(,"iat":)" + t + R"(,"jti":"g"})",
       "no \\\"aud\\\""},
  };
  for (const auto& [header, payload, why] : cases) {
    BOOST_TEST_CONTEXT(why) { expect_refused(call(signed_token(ec, JwsAlgorithm::ES384, header, payload)), why); }
  }
}

BOOST_AUTO_TEST_CASE(CH29_aud_naming_the_discovery_url_gets_401) {
  const auto wrong = quoted(server->base_url() + "/cds-services");
  expect_refused(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, wrong))), "is not the URL being called");
}

BOOST_AUTO_TEST_CASE(CH29_aud_array_containing_the_called_url_is_accepted) {
  const auto both = "[\"https://other.example.org/cds-services\"," + aud() + "]";
  BOOST_TEST(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, both))).status == 200);
  const auto neither = R"(["https://other.example.org/cds-services"])";
  expect_refused(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, neither))), "is not the URL being called");
}

BOOST_AUTO_TEST_CASE(CH29_aud_follows_the_public_url_and_ignores_forwarded_headers_of_untrusted_peers) {
  const std::string public_aud = quoted(std::string("https://crd.example.org") + kOrderSignPath);
  const auto behind = start(3600, {"--public-url", "https://crd.example.org/"});
  BOOST_TEST(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, public_aud)), behind.get()).status == 200);
  expect_refused(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, quoted(service_url(*behind)))), behind.get()),
                 "is not the URL being called");
  // The default server trusts no proxy: X-Forwarded-* cannot move the audience.
  const std::vector<std::string> forwarded{"X-Forwarded-Proto: https", "X-Forwarded-Host: crd.example.org"};
  expect_refused(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, public_aud)), nullptr, forwarded),
                 "is not the URL being called");
}

BOOST_AUTO_TEST_CASE(CH29_aud_from_a_trusted_proxys_forwarded_headers) {
  const std::string public_aud = quoted(std::string("https://crd.example.org") + kOrderSignPath);
  const auto behind = start(3600, {"--trusted-proxy", "127.0.0.1"});
  const std::vector<std::string> forwarded{"X-Forwarded-Proto: https",
                                           "X-Forwarded-Host: evil.example.org, crd.example.org"};
  BOOST_TEST(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, public_aud)), behind.get(), forwarded).status == 200);
}

BOOST_AUTO_TEST_CASE(CH31_replayed_jti_gets_401) {
  const auto once = token(rsa, JwsAlgorithm::RS384, claims(kIssuer, aud()));
  BOOST_TEST(call(once).status == 200);
  expect_refused(call(once), "already used (replay)", once);
}

BOOST_AUTO_TEST_CASE(CH32_unknown_kid_gets_401) {
  const auto stranger = new_key(JwsAlgorithm::ES384, "ec-9");
  expect_refused(call(token(stranger, JwsAlgorithm::ES384, claims(kIssuer, aud()))), "names no key of its issuer");
}

BOOST_AUTO_TEST_CASE(CH32_unknown_kids_at_a_jwks_url_fetch_at_most_once_per_refresh_interval) {
  for (const char* kid : {"nope-1", "nope-2", "nope-3"}) {
    const auto stranger = new_key(JwsAlgorithm::ES384, kid);
    expect_refused(call(token(stranger, JwsAlgorithm::ES384, claims(kUrlIssuer, aud()))), "names no key of its issuer");
  }
  BOOST_TEST(jwks.requests("/keys.json") == 1);
}

BOOST_AUTO_TEST_CASE(CH32_key_rotation_is_picked_up_on_an_unknown_kid) {
  const auto rotating = start(0);
  BOOST_TEST(call(token(rsa, JwsAlgorithm::RS384, claims(kUrlIssuer, quoted(service_url(*rotating)))),
                  rotating.get()).status == 200);
  const auto next = new_key(JwsAlgorithm::ES384, "url-2");
  jwks.publish("/keys.json", jwks_of({{&rsa, JwsAlgorithm::RS384}, {&next, JwsAlgorithm::ES384}}));
  const auto response =
      call(token(next, JwsAlgorithm::ES384, claims(kUrlIssuer, quoted(service_url(*rotating)))), rotating.get());
  BOOST_TEST(response.status == 200, response.body);
  BOOST_TEST(jwks.requests("/keys.json") == 2);
}

BOOST_AUTO_TEST_CASE(CH32_jku_not_on_the_allowlist_gets_401_and_is_never_fetched) {
  const auto attacker = new_key(JwsAlgorithm::ES384, "evil-1");
  jwks.publish("/evil.json", jwks_of({{&attacker, JwsAlgorithm::ES384}}));
  const auto forged = token(attacker, JwsAlgorithm::ES384, claims(kUrlIssuer, aud()), jwks.url("/evil.json"));
  expect_refused(call(forged), "\\\"jku\\\" is not on the issuer's allowlist", forged);
  BOOST_TEST(jwks.requests("/evil.json") == 0);
}

// Issue 15: a configured key under the token's kid is pinned, whatever jku
// the header names; a jku is fetched only when allowlisted and the kid unknown.
BOOST_AUTO_TEST_CASE(CH32_pinned_key_verifies_a_sandbox_token_naming_a_foreign_jku) {
  const auto response = call(token(sandbox, JwsAlgorithm::ES384, claims(kSandboxIssuer, aud()), kSandboxJku));
  BOOST_TEST(response.status == 200, response.body);
  BOOST_TEST(server->stderr_text().find("sandbox.cds-hooks.org/.well-known") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(CH32_foreign_jku_with_an_unknown_kid_gets_401) {
  const auto stranger = new_key(JwsAlgorithm::ES384, "sandbox-unknown");
  const auto forged = token(stranger, JwsAlgorithm::ES384, claims(kSandboxIssuer, aud()), kSandboxJku);
  expect_refused(call(forged), "\\\"jku\\\" is not on the issuer's allowlist", forged);
}

BOOST_AUTO_TEST_CASE(CH32_known_kid_with_an_allowlisted_jku_fetches_nothing) {
  // The allowlisted set would not even verify this token: only the pinned key can.
  const auto other = new_key(JwsAlgorithm::ES384, kSandboxKid);
  jwks.publish("/sandbox-keys.json", jwks_of({{&other, JwsAlgorithm::ES384}}));
  for (int i = 0; i < 2; ++i) {
    const auto response = call(
        token(sandbox, JwsAlgorithm::ES384, claims(kSandboxIssuer, aud()), jwks.url("/sandbox-keys.json")));
    BOOST_TEST(response.status == 200, response.body);
  }
  BOOST_TEST(jwks.requests("/sandbox-keys.json") == 0);
}

BOOST_AUTO_TEST_CASE(CH32_unknown_kid_with_an_allowlisted_jku_is_fetched) {
  const auto rotated = new_key(JwsAlgorithm::ES384, "sandbox-2");
  jwks.publish("/sandbox-keys.json", jwks_of({{&rotated, JwsAlgorithm::ES384}}));
  const auto response =
      call(token(rotated, JwsAlgorithm::ES384, claims(kSandboxIssuer, aud()), jwks.url("/sandbox-keys.json")));
  BOOST_TEST(response.status == 200, response.body);
  BOOST_TEST(jwks.requests("/sandbox-keys.json") == 1);
}

BOOST_AUTO_TEST_CASE(CH32_issuer_not_configured_gets_401) {
  expect_refused(call(token(ec, JwsAlgorithm::ES384, claims("https://stranger.example.org", aud()))),
                 "issuer is not a configured client");
}

BOOST_AUTO_TEST_CASE(tenant_claim_must_match_the_issuers_tenant) {
  BOOST_TEST(call(token(tenant_key, JwsAlgorithm::ES384, claims(kTenantIssuer, aud(), 300, 0, R"(,"tenant":"t-1")")))
                 .status == 200);
  expect_refused(call(token(tenant_key, JwsAlgorithm::ES384, claims(kTenantIssuer, aud(), 300, 0, R"(,"tenant":"t-2")"))),
                 "\\\"tenant\\\" is not the one configured");
  expect_refused(call(token(tenant_key, JwsAlgorithm::ES384, claims(kTenantIssuer, aud()))),
                 "\\\"tenant\\\" is not the one configured");
}

// Issue 17: a CDS client may send crdex only to its own FHIR servers. Each
// refusal is a 403 OperationOutcome before the engine runs: the named server
// (a loopback stub here) never sees a request.
BOOST_AUTO_TEST_CASE(a_fhir_server_the_client_may_not_name_gets_403_and_no_request) {
  const auto with_fhir_server = [&](const std::string& url) {
    std::string changed = body;
    const std::string example = "http://example.org/some-payer/fhir/crd";
    changed.replace(changed.find(example), example.size(), url);
    return changed;
  };
  const auto call_naming = [&](const std::string& iss, const std::string& url) {
    return test::http_request("POST", service_url(), with_fhir_server(url), "application/json",
                              {"Authorization: Bearer " + token(ec, JwsAlgorithm::ES384, claims(iss, aud()))});
  };
  const std::string stub = jwks.url("/fhir");
  const int seen_before = jwks.total_requests();
  for (const auto& [iss, url, why] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {kIssuer, stub, "only the fhir_servers of its registration"},
           {kIssuer, "https://169.254.169.254/latest/meta-data", "only the fhir_servers of its registration"},
           {kIssuer, "http://example.org/some-payer/fhir/other", "only the fhir_servers of its registration"},
           {kOriginIssuer, stub, "only FHIR servers on its own origin (https://origin.ehr.example.org)"},
           {kOriginIssuer, "http://example.org/some-payer/fhir/crd", "its own origin"},
           {kOriginIssuer, "https://origin.ehr.example.org.evil.example/fhir", "its own origin"}}) {
    const auto answer = call_naming(iss, url);
    BOOST_TEST(answer.status == 403, iss << " naming " << url << ": " << answer.body);
    BOOST_TEST(answer.header("content-type").starts_with("application/fhir+json"));
    BOOST_TEST(answer.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos);
    BOOST_TEST(answer.body.find("is not a FHIR server this CDS client may name") != std::string::npos, answer.body);
    BOOST_TEST(answer.body.find(why) != std::string::npos, answer.body);
  }
  BOOST_TEST(jwks.total_requests() == seen_before);  // no request reached the named server
  // The listed server still works for the client that lists it.
  BOOST_TEST(call(token(ec, JwsAlgorithm::ES384, claims(kIssuer, aud()))).status == 200);
}

BOOST_AUTO_TEST_CASE(bad_clients_file_stops_start_up_with_its_path) {
  const auto file = dir.path() / "bad-clients.json";
  std::ofstream(file) << R"({"clients":[{"iss":"https://x.example","jwks_url":"http://ehr.example.org/jwks"}]})";
  test::ServerProcess refused({"--clients", file.string()}, {}, false);
  BOOST_TEST(refused.wait_for_exit().code == 2);
  BOOST_TEST(refused.stderr_text().find("$.clients[0].jwks_url must be an https URL") != std::string::npos,
             refused.stderr_text());
}

BOOST_AUTO_TEST_SUITE_END()
