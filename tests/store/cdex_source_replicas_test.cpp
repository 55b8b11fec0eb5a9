// CDex Data Source fulfilment across two crdex-server replicas on one
// PostgreSQL (issue 18): a Task accepted through replica A is claimed by A's
// worker, whose EHR is a server that never answers, so the fulfilment hangs
// there, and A keeps renewing its lease. Replica B, started then with the
// real test FHIR server as its EHR, leaves the Task alone while A lives (no
// second query). A is killed (SIGKILL) mid-fulfilment: B takes the Task over
// once A's lease has run out and completes it, querying the EHR once.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/fhir_server_process.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/postgres_database.hpp"
#include "support/server_process.hpp"
#include "support/silent_server.hpp"
#include "support/waiting.hpp"

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kTaskLeaseSeconds = 2;
constexpr const char* kSourceReplicaAdmin = "cdex-admin-token-of-the-source-replicas";

// The member of cdex-task-example1.json and one active condition.
constexpr auto kSourceReplicaEhr = R"({"resourceType":"Bundle","type":"collection","entry":[
  {"resource":{"resourceType":"Patient","id":"cdex-example-patient","identifier":[{"system":"http://example.org/cdex/payer/member-ids","value":"Member123"}]}},
  {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/cdex-example-patient"},"code":{"text":"Type 2 diabetes"},
    "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}}]})";

struct SourceReplicas {
  crdex::test::FhirServerProcess ehr;
  crdex::test::SilentServer silent;  // an EHR that never answers: fulfilment hangs
  crdex::test::ScratchPostgresDatabase database;
  crdex::test::TempDir dir;

  SourceReplicas() {
    ehr.seed(kSourceReplicaEhr);
    std::ofstream(dir.path() / "admin.token") << kSourceReplicaAdmin << "\n";
  }
  std::unique_ptr<crdex::test::ServerProcess> start(const std::string& ehr_url) const {
    return std::make_unique<crdex::test::ServerProcess>(std::vector<std::string>{
        "--store", database.url(), "--cdex-ehr-fhir", ehr_url, "--cdex-admin-token-file",
        (dir.path() / "admin.token").string(), "--cdex-task-lease-seconds", std::to_string(kTaskLeaseSeconds)});
  }
  static crdex::test::HttpResult call(const crdex::test::ServerProcess& replica, const std::string& method,
                                      const std::string& path, const std::string& body = {}) {
    return crdex::test::http_request(method, replica.base_url() + path, body, "application/fhir+json",
                                     {std::string("Authorization: Bearer ") + kSourceReplicaAdmin});
  }
  static bool has_status(const crdex::test::ServerProcess& replica, const std::string& id, const std::string& status) {
    return call(replica, "GET", "/fhir/Task/" + id).body.find(R"("status":")" + status + "\"") != std::string::npos;
  }
  size_t ehr_condition_queries() const { return crdex::test::count_occurrences(ehr.request_log(), "/Condition?"); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(store_cdex_source_replicas)

BOOST_AUTO_TEST_CASE(CDEX_a_replica_killed_mid_fulfilment_is_replaced_within_the_lease_time_once) {
  SourceReplicas replicas;
  auto a = replicas.start(replicas.silent.url());
  const auto posted =
      SourceReplicas::call(*a, "POST", "/fhir/Task", crdex::test::read_fixture("cdex-ig/cdex-task-example1.json"));
  BOOST_TEST_REQUIRE(posted.status == 201, posted.body);
  const std::string id = crdex::test::first_id_in(posted.body);
  BOOST_TEST_REQUIRE(!id.empty(), posted.body);
  crdex::test::wait_until([&] { return SourceReplicas::has_status(*a, id, "in-progress"); },
                             "replica A to claim the Task");

  // B starts (as a replica restarting would) while A is fulfilling the Task:
  // for longer than a lease time A renews its lease and B leaves the Task alone.
  auto b = replicas.start(replicas.ehr.fhir_url());
  const auto watched_until = steady_clock::now() + milliseconds(kTaskLeaseSeconds * 1000 * 3 / 2);
  while (steady_clock::now() < watched_until) {
    BOOST_TEST_REQUIRE(SourceReplicas::has_status(*b, id, "in-progress"));
    BOOST_TEST_REQUIRE(replicas.ehr_condition_queries() == 0u);
    std::this_thread::sleep_for(milliseconds(50));  // paces the checks
  }

  a->stop(SIGKILL);
  const auto killed_at = steady_clock::now();
  crdex::test::wait_until([&] { return SourceReplicas::has_status(*b, id, "completed"); },
                             "replica B to complete the Task");
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - killed_at);
  BOOST_TEST_MESSAGE("replica B completed the Task " << took.count() << " ms after A was killed");
  // Within the lease time plus a third (B's look at the store), with slack.
  BOOST_TEST(took.count() < kTaskLeaseSeconds * 1000 * 4 / 3 + 2000, took.count() << " ms");

  const auto task = SourceReplicas::call(*b, "GET", "/fhir/Task/" + id).body;
  BOOST_TEST(task.find("Type 2 diabetes") != std::string::npos, task);
  BOOST_TEST(replicas.ehr_condition_queries() == 1u, replicas.ehr.request_log());
  // Done: B does not run it again.
  const auto settled_until = steady_clock::now() + milliseconds(kTaskLeaseSeconds * 1000);
  while (steady_clock::now() < settled_until) std::this_thread::sleep_for(milliseconds(50));
  BOOST_TEST(replicas.ehr_condition_queries() == 1u, replicas.ehr.request_log());
  BOOST_TEST(SourceReplicas::has_status(*b, id, "completed"));
}

BOOST_AUTO_TEST_SUITE_END()
