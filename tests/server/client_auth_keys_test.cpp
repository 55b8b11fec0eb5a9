// CDS client authentication (CH-32 and beyond): key sets by kid and jku,
// fetched at most once per refresh interval and picked up on rotation; an
// unknown issuer, a tenant claim, a fhirServer the client may not name, a
// bad clients file.
#include <boost/test/unit_test.hpp>

#include "client_auth_fixture.hpp"

using namespace crdex;
using namespace crdex::test::client_auth;

BOOST_FIXTURE_TEST_SUITE(client_auth, AuthServer)

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
