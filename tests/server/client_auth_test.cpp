// CDS client authentication against the real crdex-server (CDS Hooks 2.0
// §Trusting CDS Clients; conformance rows CH-25..CH-32): the attack matrix,
// each attack its own case, and valid ES384 / RS384 tokens from inline, file
// and fetched key sets. Keys are made by each test; fetched key sets come
// from a loopback publisher that counts its requests.
// Key sets, jku, issuers, tenants and fhirServer: client_auth_keys_test.cpp.
#include <boost/test/unit_test.hpp>

#include "client_auth_fixture.hpp"

using namespace crdex;
using namespace crdex::test::client_auth;

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

BOOST_AUTO_TEST_SUITE_END()
