#pragma once
// What the CDS client authentication tests share: the issuers they register,
// their keys (made per test), tokens signed for real with headers and claims
// of the test's choosing, and AuthServer, a crdex-server that trusts them
// (inline key sets, a key-set file, and a loopback key-set publisher).
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

namespace crdex::test::client_auth {

using smart::JwsAlgorithm;

inline constexpr const char* kIssuer = "https://ehr.example.org";
inline constexpr const char* kUrlIssuer = "https://url.ehr.example.org";
inline constexpr const char* kTenantIssuer = "https://tenant.ehr.example.org";
// Shaped like the CDS Hooks Sandbox's tokens: ES384, a kid, and a jku on its
// public site (never contacted by these tests: no network beyond loopback).
inline constexpr const char* kSandboxIssuer = "https://sandbox.cds-hooks.org";
inline constexpr const char* kSandboxJku = "https://sandbox.cds-hooks.org/.well-known/jwks.json";
inline constexpr const char* kSandboxKid = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f";
inline constexpr const char* kOrderSignPath = "/cds-services/crdex-order-sign";
// The fhirServer of examples/requests/order-sign.json, listed for the issuers above.
inline constexpr const char* kExampleFhirServers = R"(,"fhir_servers":["http://example.org/some-payer/fhir/crd"])";
// An issuer registered without "fhir_servers": only its own origin may be named.
inline constexpr const char* kOriginIssuer = "https://origin.ehr.example.org";

inline int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline smart::SigningKey new_key(JwsAlgorithm algorithm, const std::string& kid) {
  auto key = smart::SigningKey::generate(algorithm, kid);
  BOOST_REQUIRE(key.ok());
  return std::move(key).value();
}

inline std::string jwks_of(std::initializer_list<smart::PublishedKey> keys) {
  return smart::public_jwks_json(std::span<const smart::PublishedKey>(keys.begin(), keys.size()));
}

// Claims as a CDS client sends them: aud a JSON value (string or array).
inline std::string claims(const std::string& iss, const std::string& aud_json, int64_t exp_in = 300, int64_t iat_in = 0,
                   const std::string& extra = "") {
  return R"({"iss":")" + iss + R"(","aud":)" + aud_json + R"(,"exp":)" + std::to_string(now() + exp_in) +
         R"(,"iat":)" + std::to_string(now() + iat_in) + R"(,"jti":")" + smart::random_token() + "\"" + extra + "}";
}

inline std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// A token with a header of the test's choosing, signed for real.
inline std::string signed_token(const smart::SigningKey& key, JwsAlgorithm algorithm, const std::string& header,
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
inline void expect_refused(const test::HttpResult& response, const std::string& why, const std::string& token = {}) {
  BOOST_TEST(response.status == 401);
  BOOST_TEST(response.header("www-authenticate").starts_with("Bearer"));
  BOOST_TEST(response.header("content-type").starts_with("application/fhir+json"));
  BOOST_TEST(response.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos);
  BOOST_TEST(response.body.find("\"code\":\"security\"") != std::string::npos);
  BOOST_TEST(response.body.find(why) != std::string::npos, response.body);
  if (token.size() > 40) BOOST_TEST(response.body.find(token.substr(token.size() - 40)) == std::string::npos);
}

}  // namespace crdex::test::client_auth
