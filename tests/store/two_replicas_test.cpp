// Two crdex-server replicas on one PostgreSQL (--store postgresql://...): a
// publish through replica A is served by replica B within 1 s, a CDS
// client's JWT accepted by A is refused by B as a replay, and a SMART launch
// created through A resolves through B, once, and a call answered by A is
// in B's audit (GET /admin/audit) as in A's.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <regex>

#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"
#include "server/publishing_server.hpp"
#include "support/postgres_database.hpp"

namespace {

using crdex::smart::JwsAlgorithm;
using namespace crdex::test::publishing;

constexpr const char* kReplicaIssuer = "https://ehr.example.org";
constexpr const char* kReplicaLaunchToken = "ehr-authorization-server-token-0123456789";
constexpr const char* kReplicaAdminToken = "replica-admin-token-0123456789abcdef";

int64_t replica_test_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct TwoReplicas {
  crdex::test::ScratchPostgresDatabase database;
  crdex::test::TempDir dir;
  crdex::smart::SigningKey key = [] {
    auto generated = crdex::smart::SigningKey::generate(JwsAlgorithm::ES384, "ehr-1");
    BOOST_TEST_REQUIRE(generated.ok());
    return std::move(generated).value();
  }();
  std::unique_ptr<crdex::test::ServerProcess> a;
  std::unique_ptr<crdex::test::ServerProcess> b;

  TwoReplicas() {
    std::ofstream(dir.path() / "acme.token") << kAcmeToken << "\n";
    std::ofstream(dir.path() / "launch.token") << kReplicaLaunchToken << "\n";
    std::ofstream(dir.path() / "admin.token") << kReplicaAdminToken << "\n";
    const crdex::smart::PublishedKey published[] = {{&key, JwsAlgorithm::ES384}};
    std::ofstream(dir.path() / "clients.json")
        << R"({"clients":[{"iss":")" << kReplicaIssuer
        << R"(","fhir_servers":["http://ehr.example.org/fhir"],"jwks":)" << crdex::smart::public_jwks_json(published)
        << "}]}";
    a = start();  // seeds the empty shared store from examples/rules
    b = start();
  }
  std::unique_ptr<crdex::test::ServerProcess> start() const {
    return std::make_unique<crdex::test::ServerProcess>(std::vector<std::string>{
        "--store", database.url(), "--clients", (dir.path() / "clients.json").string(), "--publisher-token",
        std::string(kAcme) + "=" + (dir.path() / "acme.token").string(), "--smart-launch-token",
        (dir.path() / "launch.token").string(), "--admin-token-file", (dir.path() / "admin.token").string()});
  }
  // A CDS client JWT valid at both replicas' service URLs.
  std::string token() const {
    const std::string path = "/cds-services/crdex-order-sign";
    const std::string claims = R"({"iss":")" + std::string(kReplicaIssuer) + R"(","aud":[")" + a->base_url() + path +
                               R"(",")" + b->base_url() + path + R"("],"exp":)" +
                               std::to_string(replica_test_now() + 300) + R"(,"iat":)" +
                               std::to_string(replica_test_now()) + R"(,"jti":")" + crdex::smart::random_token() +
                               "\"}";
    auto signed_jwt = crdex::smart::sign_jwt(key, JwsAlgorithm::ES384, claims);
    BOOST_TEST_REQUIRE(signed_jwt.ok());
    return *signed_jwt;
  }
  crdex::test::HttpResult hook_call(const crdex::test::ServerProcess& replica, const std::string& jwt) const {
    return crdex::test::http_request("POST", replica.base_url() + "/cds-services/crdex-order-sign",
                                     unlisted_order_request(), "application/json", {bearer(jwt)});
  }
  crdex::test::HttpResult launch_call(const crdex::test::ServerProcess& replica, const std::string& path,
                                      const std::string& body) const {
    return crdex::test::http_request("POST", replica.base_url() + path, body, "application/json",
                                     {bearer(kReplicaLaunchToken)});
  }
  // The rule-set version the replica's answer names (its coverage-assertion-id).
  std::string served_version(const crdex::test::ServerProcess& replica) const {
    const auto response = hook_call(replica, token());
    BOOST_TEST_REQUIRE(response.status == 200, response.body);
    crdex::test::Json answer(response.body);
    auto resource = answer.root()["systemActions"].at(0)["resource"].value();
    return version_of_assertion(crdex::test::coverage_information_code(resource, "coverage-assertion-id"));
  }
  // What /metrics (loopback) says the replica serves for Acme.
  std::string metrics_version(const crdex::test::ServerProcess& replica) const {
    const auto metrics = crdex::test::http_get(replica.base_url() + "/metrics");
    std::smatch match;
    static const std::regex line(R"re(crdex_rule_set_version\{payer="acme-health-plan"\} ([0-9]+))re");
    return std::regex_search(metrics.body, match, line) ? match[1].str() : "";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(store_two_replicas)

BOOST_AUTO_TEST_CASE(a_publish_through_replica_a_is_served_by_replica_b_within_a_second) {
  TwoReplicas replicas;
  BOOST_TEST(replicas.served_version(*replicas.a) == "1");
  BOOST_TEST(replicas.served_version(*replicas.b) == "1");

  const auto published = crdex::test::http_request("PUT", replicas.a->base_url() + "/payers/acme-health-plan/rules",
                                                   acme_rules("auth-needed"), "application/json",
                                                   {bearer(kAcmeToken)});
  BOOST_TEST_REQUIRE(published.status == 201, published.body);
  const auto published_at = std::chrono::steady_clock::now();
  // Measured, not waited for: B is asked until it serves version 2, and the
  // time that took must stay under a second.
  while (replicas.metrics_version(*replicas.b) != "2" &&
         std::chrono::steady_clock::now() - published_at < std::chrono::seconds(3)) {
  }
  const auto took = std::chrono::steady_clock::now() - published_at;
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 1000,
             "replica B took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  BOOST_TEST(replicas.served_version(*replicas.b) == "2");
}

BOOST_AUTO_TEST_CASE(a_jwt_accepted_by_replica_a_is_refused_by_replica_b) {
  TwoReplicas replicas;
  const std::string jwt = replicas.token();
  BOOST_TEST(replicas.hook_call(*replicas.a, jwt).status == 200);
  const auto replayed = replicas.hook_call(*replicas.b, jwt);
  BOOST_TEST(replayed.status == 401);
  BOOST_TEST(replayed.body.find("already used (replay)") != std::string::npos, replayed.body);
  BOOST_TEST(replicas.hook_call(*replicas.a, jwt).status == 401);  // and by A itself again
}

BOOST_AUTO_TEST_CASE(a_launch_created_through_replica_a_resolves_once_across_both) {
  TwoReplicas replicas;
  const auto created = replicas.launch_call(
      *replicas.a, "/smart/launches",
      R"({"iss":"https://ehr.example.org/fhir","appUrl":"https://app.example.org/launch","patient":"123"})");
  BOOST_TEST_REQUIRE(created.status == 201, created.body);
  const std::string key = "\"launch\":\"";
  const auto at = created.body.find(key);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  const std::string id = created.body.substr(at + key.size(), 43);
  const std::string resolve = R"({"launch":")" + id + "\"}";
  const auto first = replicas.launch_call(*replicas.b, "/smart/launches:resolve", resolve);
  BOOST_TEST(first.status == 200, first.body);
  BOOST_TEST(first.body.find(R"("patient":"123")") != std::string::npos, first.body);
  BOOST_TEST(replicas.launch_call(*replicas.a, "/smart/launches:resolve", resolve).status == 404);
  BOOST_TEST(replicas.launch_call(*replicas.b, "/smart/launches:resolve", resolve).status == 404);
}

BOOST_AUTO_TEST_CASE(a_call_answered_by_replica_a_is_in_replica_bs_audit) {
  TwoReplicas replicas;
  const std::string request_id = "replica-audit-" + crdex::smart::random_token().substr(0, 16);
  const auto answered = crdex::test::http_request(
      "POST", replicas.a->base_url() + "/cds-services/crdex-order-sign", unlisted_order_request(),
      "application/json", {bearer(replicas.token()), "X-Request-Id: " + request_id});
  BOOST_TEST_REQUIRE(answered.status == 200, answered.body);
  // A's writer commits within its batch delay; B is asked until it sees the call.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  crdex::test::HttpResult found;
  do {
    found = crdex::test::http_request("GET", replicas.b->base_url() + "/admin/audit?requestId=" + request_id, "",
                                      "", {bearer(kReplicaAdminToken)});
  } while (found.body.find(request_id) == std::string::npos && std::chrono::steady_clock::now() < deadline);
  BOOST_TEST_REQUIRE(found.status == 200, found.body);
  BOOST_TEST(found.body.find("\"requestId\":\"" + request_id + "\"") != std::string::npos, found.body);
  // A reads the same.
  const auto at_a = crdex::test::http_request("GET", replicas.a->base_url() + "/admin/audit?requestId=" + request_id,
                                              "", "", {bearer(kReplicaAdminToken)});
  BOOST_TEST(at_a.body == found.body);
}

BOOST_AUTO_TEST_SUITE_END()
