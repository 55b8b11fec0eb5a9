// Opaque access tokens introspected per RFC 7662 (issue 17; docs/security.md,
// "Opaque access tokens"): systems obtain opaque client_credentials tokens for
// crdex's base URL from the suite's real authorization server (oidc-provider,
// tests/auth-server), and crdex asks that server's introspection endpoint,
// authenticating as its own client there.
//   - accepted: $submit-attachment with system/DocumentReference.c, /fhir/Task
//     with system/Task.rs; the answer is cached (the metric says "cached");
//   - refused: no token 401, a token lacking the scope 403, a revoked, an
//     expired, a made-up token 401, a token for another resource 401, an
//     answer naming another issuer 401;
//   - the endpoint refusing crdex's own credentials: 503, not 401;
//   - crdex authenticating with private_key_jwt instead of a secret;
//   - a credential the gate knows (the CDex client token) is never introspected.
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "crdex/smart/backend_services.hpp"
#include "crdex/smart/launch_context.hpp"
#include "crdex/smart/random_token.hpp"
#include "smart/auth_server_process.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;
using smart::JwsAlgorithm;

namespace {

constexpr const char* kIntrospectedBase = "https://crdex.example.org";
constexpr const char* kElsewhere = "https://other.example.org";

struct IntrospectionFixture {
  smart::SigningKey system_key = smart::SigningKey::generate(JwsAlgorithm::RS384, "system-1").value();
  smart::SigningKey crdex_key = smart::SigningKey::generate(JwsAlgorithm::ES384, "crdex-rs-1").value();
  const std::string secret = smart::random_token();
  const std::string cdex_client_token = smart::random_token();
  test::TempDir dir;
  std::unique_ptr<test::AuthServerProcess> auth;
  std::unique_ptr<test::ServerProcess> crdex_server;

  static std::string jwks_of(const smart::SigningKey& key, JwsAlgorithm algorithm) {
    const smart::PublishedKey keys[] = {{&key, algorithm}};
    return smart::public_jwks_json(keys);
  }

  // Every system client authenticates with the same key; each is opaque.
  std::string system_client(const std::string& id, const std::string& scope, const std::string& extra = {}) const {
    return R"({"client_id":")" + id + R"(","jwks":)" + jwks_of(system_key, JwsAlgorithm::RS384) + R"(,"scope":")" +
           scope + R"(","opaque":true)" + extra + "}";
  }

  IntrospectionFixture() {
    const smart::SigningKey backend = smart::SigningKey::generate(JwsAlgorithm::ES384, "unused").value();
    auth = std::make_unique<test::AuthServerProcess>(
        R"({"backendJwks":)" + jwks_of(backend, JwsAlgorithm::ES384) + R"(,"resourceServer":")" +
        kIntrospectedBase + R"(","otherResourceServers":[")" + kElsewhere + R"("],"systemClients":[)" +
        system_client("provider-system", "system/DocumentReference.c") + "," +
        system_client("payer-consumer", "system/Task.rs") + "," +
        system_client("short-lived", "system/DocumentReference.c", R"(,"ttl":2)") + "," +
        system_client("elsewhere", "system/DocumentReference.c", R"(,"resource":")" + std::string(kElsewhere) +
                                                                     "\"") +
        R"(],"introspectionClients":[{"client_id":"crdex-rs","client_secret":")" + secret +
        R"("},{"client_id":"crdex-rs-jwt","jwks":)" + jwks_of(crdex_key, JwsAlgorithm::ES384) + "}]}");
    std::ofstream(dir.path() / "introspection-secret") << secret << "\n";
    std::ofstream(dir.path() / "wrong-secret") << smart::random_token() << "\n";
    std::ofstream(dir.path() / "crdex-rs.pem") << crdex_key.private_pem();
    std::ofstream(dir.path() / "cdex-client") << cdex_client_token << "\n";
    crdex_server = start_crdex(auth->issuer(), R"("client_secret_file":"introspection-secret")");
  }

  // A crdex whose one authorization server is `iss`, introspected at the
  // real server's endpoint with `credentials` (JSON members).
  std::unique_ptr<test::ServerProcess> start_crdex(const std::string& iss, const std::string& credentials) {
    const std::string name = "authorization-servers-" + smart::random_token(6) + ".json";
    std::ofstream(dir.path() / name) << R"({"authorization_servers":[{"iss":")" << iss
                                     << R"(","introspection":{"endpoint":")" << auth->issuer()
                                     << R"(/token/introspection","client_id":")"
                                     << (credentials.find("key_file") != std::string::npos ? "crdex-rs-jwt"
                                                                                            : "crdex-rs")
                                     << R"(",)" << credentials << "}}]}";
    return std::make_unique<test::ServerProcess>(std::vector<std::string>{
        "--public-url", kIntrospectedBase, "--authorization-servers", (dir.path() / name).string(),
        "--cdex-ehr-fhir", "http://127.0.0.1:9/fhir", "--cdex-client-token-file",
        (dir.path() / "cdex-client").string()});
  }

  smart::BackendServicesClient backend(const std::string& client, const std::string& scope) const {
    smart::BackendServicesConfig config{auth->token_url(), client, scope, system_key, JwsAlgorithm::RS384, {}};
    auto created = smart::BackendServicesClient::create(std::move(config));
    BOOST_REQUIRE_MESSAGE(created.ok(), (created.ok() ? std::string() : created.error().message));
    return std::move(created).value();
  }

  std::string token_for(const std::string& client, const std::string& scope) const {
    auto token = backend(client, scope).request_token();
    BOOST_REQUIRE_MESSAGE(token.ok(), (token.ok() ? std::string() : token.error().message) << auth->errors());
    BOOST_TEST(std::count(token->access_token.begin(), token->access_token.end(), '.') == 0);  // opaque
    return token->access_token;
  }

  // RFC 7009 at the real server, as the client the token was issued to.
  void revoke(const std::string& client, const std::string& scope, const std::string& token) const {
    auto assertion = backend(client, scope).client_assertion(std::chrono::system_clock::now());
    BOOST_REQUIRE(assertion.ok());
    const auto answer = test::http_request(
        "POST", auth->issuer() + "/token/revocation",
        "token=" + smart::url_encode(token) + "&token_type_hint=access_token&client_assertion_type=" +
            smart::url_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
            "&client_assertion=" + *assertion,
        "application/x-www-form-urlencoded");
    BOOST_REQUIRE_MESSAGE(answer.status == 200, answer.body << auth->errors());
  }

  test::HttpResult call(const test::ServerProcess& server, const std::string& method, const std::string& path,
                        const std::string& token, const std::string& body = {}) const {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return test::http_request(method, server.base_url() + path, body, "application/fhir+json", headers);
  }
  test::HttpResult call(const std::string& method, const std::string& path, const std::string& token,
                        const std::string& body = {}) const {
    return call(*crdex_server, method, path, token, body);
  }

  // crdex_token_introspections_total{result="<result>"}, 0 when absent.
  static double introspections(const test::ServerProcess& server, const std::string& result) {
    const auto metrics = test::http_get(server.base_url() + "/metrics");
    BOOST_REQUIRE_MESSAGE(metrics.status == 200, metrics.body);
    const std::string series = "crdex_token_introspections_total{result=\"" + result + "\"} ";
    const auto at = metrics.body.find(series);
    return at == std::string::npos ? 0 : std::stod(metrics.body.substr(at + series.size()));
  }

  static bool is_outcome(const test::HttpResult& r) {
    return r.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(smart_token_introspection, IntrospectionFixture)

BOOST_AUTO_TEST_CASE(a_provider_system_submits_an_attachment_with_an_opaque_token) {
  const std::string parameters = test::read_fixture("cdex-ig/cdex-parameters-example1.json");
  const auto refused = call("POST", "/$submit-attachment", "", parameters);
  BOOST_TEST(refused.status == 401, refused.body);
  BOOST_TEST(is_outcome(refused));

  const std::string token = token_for("provider-system", "system/DocumentReference.c");
  const auto stored = call("POST", "/$submit-attachment", token, parameters);
  BOOST_TEST(stored.status == 200, stored.body << auth->errors());
  BOOST_TEST(stored.header("location").starts_with("/attachments/"));
  BOOST_TEST(introspections(*crdex_server, "active") == 1);
  // The same token again: answered from the cache, the endpoint not asked.
  BOOST_TEST(call("POST", "/$submit-attachment", token, parameters).status == 200);
  BOOST_TEST(introspections(*crdex_server, "active") == 1);
  BOOST_TEST(introspections(*crdex_server, "cached") == 1);
  // Reading it back needs system/DocumentReference.r, which this token lacks.
  BOOST_TEST(call("GET", stored.header("location"), token).status == 403);
}

BOOST_AUTO_TEST_CASE(a_payer_data_consumer_reads_tasks_with_an_opaque_token_and_scope_decides) {
  const std::string reader = token_for("payer-consumer", "system/Task.rs");
  const auto tasks = call("GET", "/fhir/Task", reader);
  BOOST_TEST(tasks.status == 200, tasks.body << auth->errors());
  BOOST_TEST(tasks.body.find("\"resourceType\":\"Bundle\"") != std::string::npos, tasks.body);
  // Active, but without system/DocumentReference.c: 403, not 401.
  const std::string parameters = test::read_fixture("cdex-ig/cdex-parameters-example1.json");
  const auto wrong = call("POST", "/$submit-attachment", reader, parameters);
  BOOST_TEST(wrong.status == 403, wrong.body);
  BOOST_TEST(wrong.header("www-authenticate").find("insufficient_scope") != std::string::npos);
  BOOST_TEST(is_outcome(wrong));
}

BOOST_AUTO_TEST_CASE(revoked_expired_made_up_and_foreign_opaque_tokens_get_401) {
  const std::string parameters = test::read_fixture("cdex-ig/cdex-parameters-example1.json");
  const std::string revoked = token_for("provider-system", "system/DocumentReference.c");
  revoke("provider-system", "system/DocumentReference.c", revoked);
  const auto after_revocation = call("POST", "/$submit-attachment", revoked, parameters);
  BOOST_TEST(after_revocation.status == 401, after_revocation.body);
  BOOST_TEST(after_revocation.body.find("not active") != std::string::npos, after_revocation.body);
  BOOST_TEST(after_revocation.header("www-authenticate").find("invalid_token") != std::string::npos);

  const auto made_up = call("POST", "/$submit-attachment", smart::random_token(), parameters);
  BOOST_TEST(made_up.status == 401, made_up.body);
  BOOST_TEST(is_outcome(made_up));

  // Issued for another resource server: active, but its aud is not crdex.
  const auto foreign = call("POST", "/$submit-attachment", token_for("elsewhere", "system/DocumentReference.c"),
                            parameters);
  BOOST_TEST(foreign.status == 401, foreign.body);
  BOOST_TEST(foreign.body.find(R"(\"aud\")") != std::string::npos, foreign.body);
  BOOST_TEST(introspections(*crdex_server, "inactive") == 2);
  BOOST_TEST(introspections(*crdex_server, "rejected") == 1);

  // A token living two seconds is refused once the server says it has expired
  // (polled with a bounded deadline; never cached past its exp).
  const std::string short_lived = token_for("short-lived", "system/DocumentReference.c");
  long status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    status = call("POST", "/$submit-attachment", short_lived, parameters).status;
    if (status == 401) break;
    BOOST_REQUIRE(status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  BOOST_TEST(status == 401);
}

BOOST_AUTO_TEST_CASE(an_answer_naming_another_issuer_gets_401) {
  // crdex believes the endpoint speaks for https://as.example.org; the real server names itself.
  const auto mismatched = start_crdex("https://as.example.org", R"("client_secret_file":"introspection-secret")");
  const auto answer = call(*mismatched, "POST", "/$submit-attachment",
                           token_for("provider-system", "system/DocumentReference.c"), "{}");
  BOOST_TEST(answer.status == 401, answer.body);
  BOOST_TEST(answer.body.find(R"(\"iss\")") != std::string::npos, answer.body);
}

BOOST_AUTO_TEST_CASE(an_introspection_endpoint_that_refuses_crdex_gets_503_not_401) {
  const auto misconfigured = start_crdex(auth->issuer(), R"("client_secret_file":"wrong-secret")");
  const auto answer = call(*misconfigured, "POST", "/$submit-attachment",
                           token_for("provider-system", "system/DocumentReference.c"), "{}");
  BOOST_TEST(answer.status == 503, answer.body);
  BOOST_TEST(is_outcome(answer));
  BOOST_TEST(answer.header("retry-after") == "5");
  BOOST_TEST(introspections(*misconfigured, "error") == 1);
}

BOOST_AUTO_TEST_CASE(crdex_authenticates_to_the_endpoint_with_private_key_jwt) {
  const auto signed_in = start_crdex(
      auth->issuer(), R"("auth":"private_key_jwt","key_file":"crdex-rs.pem","kid":"crdex-rs-1","algorithm":"ES384")");
  const auto tasks = call(*signed_in, "GET", "/fhir/Task", token_for("payer-consumer", "system/Task.rs"));
  BOOST_TEST(tasks.status == 200, tasks.body << auth->errors());
}

BOOST_AUTO_TEST_CASE(a_credential_the_gate_knows_is_never_sent_for_introspection) {
  BOOST_TEST(call("GET", "/fhir/Task", cdex_client_token).status != 401);
  BOOST_TEST(call("POST", "/$submit-attachment", cdex_client_token, "{}").status == 403);
  for (const char* result : {"active", "inactive", "rejected", "error", "cached"})
    BOOST_TEST(introspections(*crdex_server, result) == 0, result);
}

BOOST_AUTO_TEST_SUITE_END()
