// Two crdex-server replicas on one PostgreSQL behind a real nginx running
// the shipped configuration (examples/deploy/nginx/crdex.conf with the
// upstream of crdex-replicas-upstream.conf), CDS client authentication on:
// a publish through A is served by B within a second; a JWT used at A is
// refused at B; hook calls from several clients go on without one failure
// while a replica is killed (SIGKILL) and restarted; and a call whose replica
// died after recording its jti but before answering is answered by the other
// replica instead of being refused as a replay (issue 18).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"
#include "server/publishing_server.hpp"
#include "support/guide_ehr_data.hpp"
#include "support/nginx_process.hpp"
#include "support/postgres_database.hpp"
#include "support/silent_server.hpp"

namespace {

using crdex::smart::JwsAlgorithm;
using namespace crdex::test::publishing;

constexpr const char* kEdgeIssuer = "https://ehr.example.org";
constexpr const char* kHookPath = "/cds-services/crdex-order-sign";

int64_t edge_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint16_t port_of(const std::string& base_url) {
  return static_cast<uint16_t>(std::stoi(base_url.substr(base_url.rfind(':') + 1)));
}

struct ReplicasBehindNginx {
  crdex::test::ScratchPostgresDatabase database;
  crdex::test::TempDir dir;
  crdex::test::SilentServer silent;  // the EHR of a call held in flight
  crdex::smart::SigningKey key = [] {
    auto generated = crdex::smart::SigningKey::generate(JwsAlgorithm::ES384, "ehr-1");
    BOOST_TEST_REQUIRE(generated.ok());
    return std::move(generated).value();
  }();
  crdex::test::NginxProcess nginx;  // its port first: the replicas' --public-url
  const std::string base = "http://127.0.0.1:" + std::to_string(nginx.port());
  std::unique_ptr<crdex::test::ServerProcess> a;
  std::unique_ptr<crdex::test::ServerProcess> b;

  ReplicasBehindNginx() {
    std::ofstream(dir.path() / "acme.token") << kAcmeToken << "\n";
    const crdex::smart::PublishedKey published[] = {{&key, JwsAlgorithm::ES384}};
    std::ofstream(dir.path() / "clients.json")
        << R"({"clients":[{"iss":")" << kEdgeIssuer << R"(","fhir_servers":["http://ehr.example.org/fhir",")"
        << silent.url() << R"("],"jwks":)" << crdex::smart::public_jwks_json(published) << "}]}";
    a = start("crdex-a");  // seeds the empty shared store from examples/rules
    b = start("crdex-b");
    // The shipped site, plain HTTP here (TLS is the edge test's), its
    // upstream the shipped replicas' upstream naming A and B.
    crdex::test::make_test_certificates(dir.path());
    std::string site = crdex::test::shipped_nginx_site(dir.path(), nginx.port(), false);
    const auto from = site.find("upstream crdex {");
    const auto to = site.find("\n}\n", from);
    BOOST_TEST_REQUIRE((from != std::string::npos && to != std::string::npos));
    std::string upstream =
        crdex::test::read_file(crdex::test::source_dir() / "examples/deploy/nginx/crdex-replicas-upstream.conf");
    crdex::test::replace_once(upstream, "server 127.0.0.1:8080 ", "server 127.0.0.1:" + port(*a) + " ");
    crdex::test::replace_once(upstream, "server 127.0.0.1:8081 ", "server 127.0.0.1:" + port(*b) + " ");
    site.replace(from, to + 3 - from, upstream);
    nginx.start(dir.path(), site);
  }

  static std::string port(const crdex::test::ServerProcess& replica) {
    return std::to_string(port_of(replica.base_url()));
  }

  // `name` is the replica's PostgreSQL application_name (which session holds
  // a jti); `listen` a port to come back on after a kill.
  std::unique_ptr<crdex::test::ServerProcess> start(const std::string& name, const std::string& listen = {}) const {
    const std::string store =
        database.url() + (database.url().find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
    std::vector<std::string> args{"--store", store, "--clients", (dir.path() / "clients.json").string(),
                                  "--publisher-token", std::string(kAcme) + "=" + (dir.path() / "acme.token").string(),
                                  "--public-url", base, "--prefetch-timeout-ms", "2000",
                                  // no line per call: nobody reads the replicas' stderr while the load runs
                                  "--log-level", "warn",
                                  // the EHR's FHIR server of the in-flight call, on loopback here
                                  "--outbound-allow-address", "127.0.0.1:" + std::to_string(silent.port())};
    if (!listen.empty()) args.insert(args.end(), {"--listen", "127.0.0.1:" + listen});
    return std::make_unique<crdex::test::ServerProcess>(args);
  }

  // A CDS client JWT for the public URL (nginx's), with `jti`.
  std::string token(const std::string& jti = crdex::smart::random_token()) const {
    const std::string claims = R"({"iss":")" + std::string(kEdgeIssuer) + R"(","aud":")" + base + kHookPath +
                               R"(","exp":)" + std::to_string(edge_now() + 300) + R"(,"iat":)" +
                               std::to_string(edge_now()) + R"(,"jti":")" + jti + "\"}";
    auto signed_jwt = crdex::smart::sign_jwt(key, JwsAlgorithm::ES384, claims);
    BOOST_TEST_REQUIRE(signed_jwt.ok());
    return *signed_jwt;
  }
  crdex::test::HttpResult hook_call(const std::string& at, const std::string& jwt,
                                    const std::string& body = unlisted_order_request()) const {
    return crdex::test::http_request("POST", at + kHookPath, body, "application/json", {bearer(jwt)});
  }
  std::string metrics_version(const crdex::test::ServerProcess& replica) const {
    const auto metrics = crdex::test::http_get(replica.base_url() + "/metrics");
    std::smatch match;
    static const std::regex line(R"re(crdex_rule_set_version\{payer="acme-health-plan"\} ([0-9]+))re");
    return std::regex_search(metrics.body, match, line) ? match[1].str() : "";
  }
  static std::string served_version(const crdex::test::HttpResult& response) {
    crdex::test::Json answer(response.body);
    auto resource = answer.root()["systemActions"].at(0)["resource"].value();
    return version_of_assertion(crdex::test::coverage_information_code(resource, "coverage-assertion-id"));
  }
  // The application_name of the replica whose session holds `jti` ("" when
  // none: not recorded yet, settled, or its holder is gone).
  std::string holder_of(const std::string& jti) const {
    return database.scalar(
        "SELECT a.application_name FROM jti_replays j JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted"
        " AND l.objsubid = 2 AND l.classid = 1247037745::oid AND l.objid = j.holder::oid"
        " JOIN pg_stat_activity a ON a.pid = l.pid WHERE j.jti = '" + jti + "' LIMIT 1");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(store_replicas_behind_nginx)

BOOST_AUTO_TEST_CASE(a_publish_through_replica_a_is_served_by_b_and_through_nginx_within_a_second) {
  ReplicasBehindNginx edge;
  const auto before = edge.hook_call(edge.base, edge.token());
  BOOST_TEST_REQUIRE(before.status == 200, before.body);
  BOOST_TEST(edge.served_version(before) == "1");

  const auto published = crdex::test::http_request("PUT", edge.a->base_url() + "/payers/acme-health-plan/rules",
                                                   acme_rules("auth-needed"), "application/json",
                                                   {bearer(kAcmeToken)});
  BOOST_TEST_REQUIRE(published.status == 201, published.body);
  const auto published_at = std::chrono::steady_clock::now();
  while (edge.metrics_version(*edge.b) != "2" &&
         std::chrono::steady_clock::now() - published_at < std::chrono::seconds(3)) {
  }
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - published_at);
  BOOST_TEST(took.count() < 1000, "replica B took " << took.count() << " ms");
  // Through nginx, whichever replica answers, version 2.
  for (int i = 0; i < 4; ++i) {
    const auto after = edge.hook_call(edge.base, edge.token());
    BOOST_TEST_REQUIRE(after.status == 200, after.body);
    BOOST_TEST(edge.served_version(after) == "2");
  }
}

BOOST_AUTO_TEST_CASE(a_client_assertion_used_at_replica_a_is_refused_at_b_and_through_nginx) {
  ReplicasBehindNginx edge;
  const std::string jwt = edge.token();
  BOOST_TEST(edge.hook_call(edge.a->base_url(), jwt).status == 200);
  const auto at_b = edge.hook_call(edge.b->base_url(), jwt);
  BOOST_TEST(at_b.status == 401);
  BOOST_TEST(at_b.body.find("already used (replay)") != std::string::npos, at_b.body);
  const auto through_nginx = edge.hook_call(edge.base, jwt);
  BOOST_TEST(through_nginx.status == 401);  // a 401 is not retried on the other replica
  BOOST_TEST(through_nginx.body.find("already used (replay)") != std::string::npos, through_nginx.body);
}

BOOST_AUTO_TEST_CASE(hook_calls_through_nginx_do_not_fail_while_a_replica_is_killed_and_restarted) {
  ReplicasBehindNginx edge;
  constexpr int kClients = 4;
  constexpr int kMostCallsEach = 5000;  // a bound; the clients stop once both replicas came back
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable progress;
  int done = 0;
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&] {
      for (int i = 0; i < kMostCallsEach && !stop; ++i) {
        const auto answer = edge.hook_call(edge.base, edge.token());
        std::lock_guard lock(mutex);
        if (answer.status != 200) failures.push_back(std::to_string(answer.status) + " " + answer.body);
        ++done;
        progress.notify_all();
      }
    });
  // Bounded waits on the clients' progress (a hung nginx fails the test, not the run).
  auto wait_for_more = [&](int calls) {
    std::unique_lock lock(mutex);
    const int target = done + calls;
    return progress.wait_for(lock, std::chrono::seconds(60), [&] { return done >= target; });
  };
  // A restarted replica is back once nginx sends it calls again (after the
  // upstream's fail_timeout): its own /metrics count them.
  auto serves_again = [&](const crdex::test::ServerProcess& replica) {
    static const std::regex line(R"re(crdex_hook_calls_total\{[^}]*\} ([0-9]+))re");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!wait_for_more(1)) return false;
      const auto metrics = crdex::test::http_get(replica.base_url() + "/metrics").body;
      for (std::sregex_iterator it(metrics.begin(), metrics.end(), line), end; it != end; ++it)
        if (std::stoll((*it)[1].str()) > 0) return true;
    }
    return false;
  };
  const std::string port_a = edge.port(*edge.a), port_b = edge.port(*edge.b);

  BOOST_TEST(wait_for_more(100));
  BOOST_TEST(edge.a->stop(SIGKILL).exited == false);  // killed mid-traffic, nothing drained
  edge.a = edge.start("crdex-a", port_a);
  BOOST_TEST(serves_again(*edge.a));
  BOOST_TEST(wait_for_more(100));
  BOOST_TEST(edge.b->stop(SIGKILL).exited == false);
  edge.b = edge.start("crdex-b", port_b);
  BOOST_TEST(serves_again(*edge.b));
  stop = true;
  for (auto& client : clients) client.join();

  BOOST_TEST_MESSAGE(done << " calls through nginx");
  BOOST_TEST(done >= 200);
  BOOST_TEST(failures.empty(), failures.size() << " failed calls, the first: "
                                                << (failures.empty() ? std::string() : failures.front()));
  // nginx did meet the dead replicas (and retried those calls elsewhere).
  const auto log = edge.nginx.error_log();
  BOOST_TEST((log.find("Connection refused") != std::string::npos ||
              log.find("prematurely closed") != std::string::npos ||
              log.find("reset by peer") != std::string::npos),
             log);
}

BOOST_AUTO_TEST_CASE(a_call_whose_replica_died_after_recording_its_jti_is_answered_by_the_other) {
  ReplicasBehindNginx edge;
  const std::string jti = crdex::smart::random_token();
  const std::string jwt = edge.token(jti);
  // No prefetch: the replica must ask the EHR's FHIR server, which never
  // answers, so the call stays in flight there with its jti recorded.
  auto body = crdex::test::read_fixture("crd-ig/CRDServiceRequest3.json");
  crdex::test::replace_all(body, crdex::test::kGuideFhirServer, edge.silent.url());
  crdex::test::HttpResult answer;
  std::thread client([&] { answer = edge.hook_call(edge.base, jwt, body); });

  std::string holder;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (holder.empty() && std::chrono::steady_clock::now() < deadline) holder = edge.holder_of(jti);
  if (holder == "crdex-a" || holder == "crdex-b") {
    auto& dying = holder == "crdex-a" ? edge.a : edge.b;
    BOOST_TEST(dying->stop(SIGKILL).exited == false);  // before its answer (the FHIR server never answers)
  }
  client.join();
  BOOST_TEST_REQUIRE((holder == "crdex-a" || holder == "crdex-b"),
                     "no replica held the jti: " << holder << "; the answer: " << answer.status << " " << answer.body);

  // nginx sent the call to the other replica, which took the jti over
  // (its holder was gone) and did the work: it too asked the silent FHIR
  // server for the Coverage, gave up after --prefetch-timeout-ms and said so
  // (412), instead of refusing the token as a replay (401).
  BOOST_TEST(answer.status == 412, answer.body);
  BOOST_TEST(answer.body.find("no answer within the time allowed") != std::string::npos, answer.body);
  // Answered: used for good. The replica settles the jti once its answer is
  // written (server/http_front.cpp), so the client may read the answer a
  // moment before the ledger says so.
  const auto settled = [&] {
    return edge.database.scalar("SELECT COUNT(*) FROM jti_replays WHERE jti = '" + jti + "' AND holder IS NULL") == "1";
  };
  const auto settle_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!settled() && std::chrono::steady_clock::now() < settle_deadline) {
  }
  BOOST_TEST(settled());
  // Now it is used: the same token again is refused.
  const auto again = edge.hook_call(edge.base, jwt, body);
  BOOST_TEST(again.status == 401);
  BOOST_TEST(again.body.find("already used (replay)") != std::string::npos, again.body);
}

BOOST_AUTO_TEST_SUITE_END()
