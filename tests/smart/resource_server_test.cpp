// crdex as a resource server (issue 17, docs/security.md): systems obtain
// SMART Backend Services access tokens from the suite's real authorization
// server (oidc-provider, tests/auth-server: private_key_jwt, client_credentials,
// JWT access tokens for crdex's base URL) and call crdex with them.
//   - A provider's system submits an attachment with system/DocumentReference.c;
//     the same call without a token is 401.
//   - A payer's data consumer reads /fhir/Task with system/Task.rs; without a
//     token it is 401, with a token lacking the scope 403.
//   - Outbound (issue 17, point 3): another crdex sends to this one as a
//     configured destination with a Backend Services credential — its outbox
//     submits an attachment, its CDex consumer creates a Task — obtaining the
//     tokens itself from the same authorization server; the same destination
//     without a credential is refused by this crdex.
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <fstream>

#include "crdex/smart/backend_services.hpp"
#include "smart/auth_server_process.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

constexpr const char* kCrdexBase = "https://crdex.example.org";

struct ResourceServerFixture {
  smart::SigningKey provider_key = smart::SigningKey::generate(smart::JwsAlgorithm::RS384, "provider-1").value();
  smart::SigningKey consumer_key = smart::SigningKey::generate(smart::JwsAlgorithm::ES384, "consumer-1").value();
  // crdex's own key when it calls out as a Backend Services client (its destinations).
  smart::SigningKey outbound_key = smart::SigningKey::generate(smart::JwsAlgorithm::ES384, "crdex-out-1").value();
  test::TempDir dir;
  std::unique_ptr<test::AuthServerProcess> auth;
  std::unique_ptr<test::ServerProcess> crdex_server;

  static std::string jwks_of(const smart::SigningKey& key, smart::JwsAlgorithm algorithm) {
    const smart::PublishedKey keys[] = {{&key, algorithm}};
    return smart::public_jwks_json(keys);
  }

  ResourceServerFixture() {
    const smart::SigningKey backend = smart::SigningKey::generate(smart::JwsAlgorithm::ES384, "unused").value();
    auth = std::make_unique<test::AuthServerProcess>(
        R"({"backendJwks":)" + jwks_of(backend, smart::JwsAlgorithm::ES384) + R"(,"resourceServer":")" + kCrdexBase +
        R"(","systemClients":[)" +
        R"({"client_id":"provider-system","jwks":)" + jwks_of(provider_key, smart::JwsAlgorithm::RS384) +
        R"(,"scope":"system/DocumentReference.c"},)" +
        R"({"client_id":"payer-consumer","jwks":)" + jwks_of(consumer_key, smart::JwsAlgorithm::ES384) +
        R"(,"scope":"system/Task.rs system/DocumentReference.c"},)" +
        R"({"client_id":"crdex-outbound","jwks":)" + jwks_of(outbound_key, smart::JwsAlgorithm::ES384) +
        R"(,"scope":"system/DocumentReference.c system/Task.c system/Task.r"}]})");
    std::ofstream(dir.path() / "authorization-servers.json")
        << R"({"authorization_servers":[{"iss":")" << auth->issuer() << R"(","jwks_url":")" << auth->issuer()
        << R"(/jwks"}]})";
    crdex_server = std::make_unique<test::ServerProcess>(std::vector<std::string>{
        "--public-url", kCrdexBase, "--authorization-servers", (dir.path() / "authorization-servers.json").string(),
        "--cdex-ehr-fhir", "http://127.0.0.1:9/fhir"});
  }

  std::string token_for(const std::string& client, const smart::SigningKey& key, smart::JwsAlgorithm algorithm,
                        const std::string& scope) {
    smart::BackendServicesConfig config{auth->token_url(), client, scope, key, algorithm, {}};
    auto backend = smart::BackendServicesClient::create(std::move(config));
    BOOST_REQUIRE_MESSAGE(backend.ok(), (backend.ok() ? std::string() : backend.error().message));
    auto token = backend->bearer_token();
    BOOST_REQUIRE_MESSAGE(token.ok(), (token.ok() ? std::string() : token.error().message) << auth->errors());
    return *token;
  }

  // A crdex in laptop mode whose destinations are this fixture's crdex (its
  // base URL + `path`): "payer" with a Backend Services credential (`scope`),
  // "payer-no-credential" without.
  std::unique_ptr<test::ServerProcess> sender(const std::string& scope, const std::string& path,
                                              std::vector<std::string> extra = {}) {
    std::ofstream(dir.path() / "crdex-out.pem") << outbound_key.private_pem();
    const std::string credential = R"(,"backend_services":{"token_url":")" + auth->token_url() +
                                   R"(","client_id":"crdex-outbound","scope":")" + scope +
                                   R"(","key_file":"crdex-out.pem","kid":"crdex-out-1","algorithm":"ES384"})";
    const std::string url = crdex_server->base_url() + path;
    std::ofstream(dir.path() / "destinations.json")
        << R"({"destinations":[{"name":"payer","url":")" << url << '"' << credential
        << R"(},{"name":"payer-no-credential","url":")" << url << R"("}]})";
    std::vector<std::string> args = {"--destinations", (dir.path() / "destinations.json").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<test::ServerProcess>(args);
  }

  test::HttpResult call(const std::string& method, const std::string& path, const std::string& token,
                        const std::string& body = {}) {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return test::http_request(method, crdex_server->base_url() + path, body, "application/fhir+json", headers);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(smart_resource_server, ResourceServerFixture)

BOOST_AUTO_TEST_CASE(a_provider_system_submits_an_attachment_with_a_backend_services_token) {
  const std::string parameters = test::read_fixture("cdex-ig/cdex-parameters-example1.json");
  const auto refused = call("POST", "/$submit-attachment", "", parameters);
  BOOST_TEST(refused.status == 401, refused.body);
  BOOST_TEST(refused.body.find("OperationOutcome") != std::string::npos);

  const std::string token =
      token_for("provider-system", provider_key, smart::JwsAlgorithm::RS384, "system/DocumentReference.c");
  BOOST_TEST(std::count(token.begin(), token.end(), '.') == 2);  // a JWT access token crdex verifies itself
  const auto stored = call("POST", "/$submit-attachment", token, parameters);
  BOOST_TEST(stored.status == 200, stored.body);
  BOOST_TEST(stored.header("location").starts_with("/attachments/"));
  // Reading it back needs system/DocumentReference.r, which this token lacks.
  BOOST_TEST(call("GET", stored.header("location"), token).status == 403);
}

BOOST_AUTO_TEST_CASE(a_payer_data_consumer_reads_tasks_with_a_scoped_token) {
  BOOST_TEST(call("GET", "/fhir/Task", "").status == 401);
  const std::string reader = token_for("payer-consumer", consumer_key, smart::JwsAlgorithm::ES384, "system/Task.rs");
  const auto tasks = call("GET", "/fhir/Task", reader);
  BOOST_TEST(tasks.status == 200, tasks.body);
  BOOST_TEST(tasks.body.find("\"resourceType\":\"Bundle\"") != std::string::npos, tasks.body);
  // Same client, a token without Task: refused for scope.
  const std::string other =
      token_for("payer-consumer", consumer_key, smart::JwsAlgorithm::ES384, "system/DocumentReference.c");
  const auto wrong = call("GET", "/fhir/Task", other);
  BOOST_TEST(wrong.status == 403, wrong.body);
  BOOST_TEST(wrong.header("www-authenticate").find("insufficient_scope") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_outbox_sends_with_a_token_it_obtains_for_its_configured_destination) {
  const auto provider = sender("system/DocumentReference.c", "");
  const std::string parameters = test::read_fixture("cdex-ig/cdex-parameters-example1.json");
  const auto send = [&](const std::string& body) {
    return test::http_request("POST", provider->base_url() + "/attachments/outbox", body, "application/json");
  };
  // Twice: the second send reuses the cached token.
  for (int i = 0; i < 2; ++i) {
    const auto sent = send(R"({"payer":"payer","parameters":)" + parameters + "}");
    BOOST_TEST(sent.status == 200, sent.body << auth->errors());
    BOOST_TEST(sent.body.find(R"("payerStatus":200)") != std::string::npos, sent.body);
  }
  // The same payer reached through the destination without a credential: this crdex refuses (401), the outbox 502.
  const auto anonymous = send(R"({"payer":"payer-no-credential","parameters":)" + parameters + "}");
  BOOST_TEST(anonymous.status == 502, anonymous.body);
  BOOST_TEST(anonymous.body.find(R"("payerStatus":401)") != std::string::npos, anonymous.body);
}

BOOST_AUTO_TEST_CASE(the_cdex_consumer_creates_a_task_with_a_token_it_obtains) {
  std::ofstream(dir.path() / "admin.token") << "consumer-admin-token-0123456789\n";
  const auto consumer =
      sender("system/Task.c system/Task.r", "/fhir", {"--cdex-admin-token-file", (dir.path() / "admin.token").string()});
  const std::string body =
      R"({"source":"payer","query":"Condition?clinical-status=active","for":{"reference":"Patient/p1"},)"
      R"("requester":{"identifier":{"value":"Payer123"}},"owner":{"identifier":{"value":"9941339108"}}})";
  const auto asked = test::http_request("POST", consumer->base_url() + "/cdex/requests", body, "application/json",
                                        {"Authorization: Bearer consumer-admin-token-0123456789"});
  BOOST_TEST(asked.status == 201, asked.body << auth->errors());
  BOOST_TEST(asked.body.find(R"("taskId":"")") == std::string::npos, asked.body);
  // The Task is at this crdex (the data source), readable with a Task-scoped token.
  const std::string reader = token_for("payer-consumer", consumer_key, smart::JwsAlgorithm::ES384, "system/Task.rs");
  const auto tasks = call("GET", "/fhir/Task", reader);
  BOOST_TEST(tasks.body.find("\"resourceType\":\"Task\"") != std::string::npos, tasks.body);
}

BOOST_AUTO_TEST_SUITE_END()
