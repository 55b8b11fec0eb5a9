// Bulk export jobs across two crdex-server replicas on one PostgreSQL
// (issue 18): a job submitted to replica A is visible through B, runs on A
// only while A holds its lease, and when A is killed (SIGKILL) in the middle
// of the export, B adopts it once the lease has run out and completes it —
// exactly once at the exporting server: one kick-off, each file downloaded
// once. The exporting server is the test FHIR server (tests/fhir-server),
// told to answer 202 to every status poll until the test lets it finish. A
// job cancelled through one replica is run again by neither.

#include <signal.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/destinations_file.hpp"
#include "support/fhir_server_process.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/postgres_database.hpp"
#include "support/server_process.hpp"
#include "support/waiting.hpp"

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kLeaseSeconds = 2;

constexpr auto kReplicaPanel = R"({"resourceType":"Bundle","type":"collection","entry":[
  {"resource":{"resourceType":"Patient","id":"p1","gender":"female"}},
  {"resource":{"resourceType":"Patient","id":"p2","gender":"male"}},
  {"resource":{"resourceType":"Group","id":"panel","type":"person","actual":true,
    "member":[{"entity":{"reference":"Patient/p1"}},{"entity":{"reference":"Patient/p2"}}]}},
  {"resource":{"resourceType":"Coverage","id":"c1","status":"active","beneficiary":{"reference":"Patient/p1"},"payor":[{"display":"Acme"}]}}]})";

struct ExportReplicas {
  crdex::test::FhirServerProcess fhir;
  crdex::test::ScratchPostgresDatabase database;
  crdex::test::TempDir dir;
  std::unique_ptr<crdex::test::ServerProcess> a;
  std::unique_ptr<crdex::test::ServerProcess> b;

  ExportReplicas() {
    fhir.seed(kReplicaPanel);
    bulk_config(R"({"polls":1000000})");  // 202 at every poll until the test says otherwise
    std::filesystem::create_directories(dir.path() / "a");
    std::filesystem::create_directories(dir.path() / "b");
    a = start("a");
    b = start("b");
  }
  std::unique_ptr<crdex::test::ServerProcess> start(const std::string& name) const {
    auto args = crdex::test::destinations_args(dir.path(), {{"ehr", fhir.fhir_url()}});
    args.insert(args.end(), {"--store", database.url(), "--bulk-poll-min-ms", "5", "--bulk-poll-max-ms", "50",
                             "--job-lease-seconds", std::to_string(kLeaseSeconds)});
    return std::make_unique<crdex::test::ServerProcess>(args, std::string{}, true,
                                                        (dir.path() / name / "data").string());
  }
  void bulk_config(const std::string& json) const {
    const auto answer = crdex::test::http_post(fhir.base_url() + "/$admin/bulk", json);
    BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  }
  // The exporting server's jobs: how many, and how often the first was polled.
  std::pair<size_t, int64_t> server_jobs() const {
    crdex::test::Json jobs(crdex::test::http_get(fhir.base_url() + "/$admin/bulk").body);
    auto list = jobs.root().get_array();
    size_t n = 0;
    int64_t polls = 0;
    for (auto job : list) {
      if (n++ == 0) polls = int64_t(job["polls"]);
    }
    return {n, polls};
  }
  static std::string state_of(const crdex::test::ServerProcess& replica, const std::string& id) {
    crdex::test::Json job(crdex::test::http_get(replica.base_url() + "/bulk-exports/" + id).body);
    return std::string(std::string_view(job.root()["state"]));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(store_bulk_export_replicas)

BOOST_AUTO_TEST_CASE(a_replica_killed_mid_export_is_replaced_within_the_lease_time_exactly_once) {
  ExportReplicas replicas;
  const auto started = crdex::test::http_post(replicas.a->base_url() + "/bulk-exports",
                                              R"({"destination":"ehr","group":"panel","types":["Patient","Coverage"]})");
  BOOST_TEST_REQUIRE(started.status == 202, started.body);
  crdex::test::Json submitted(started.body);
  const std::string id{std::string_view(submitted.root()["id"])};

  // A kicks off and polls; B sees the job in the shared store but leaves it alone.
  crdex::test::wait_until([&] { return replicas.server_jobs().second >= 3; }, "replica A's status polls");
  BOOST_TEST(ExportReplicas::state_of(*replicas.b, id) == "in-progress");
  BOOST_TEST(replicas.b->stderr_text().find("export " + id) == std::string::npos, replicas.b->stderr_text());

  replicas.a->stop(SIGKILL);
  const auto killed_at = steady_clock::now();
  const auto polls_by_a = replicas.server_jobs().second;
  replicas.bulk_config(R"({"polls":0})");  // the export is ready at the next poll

  crdex::test::wait_until([&] { return ExportReplicas::state_of(*replicas.b, id) == "completed"; },
                      "replica B to complete the export", std::chrono::seconds(30));
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - killed_at);
  BOOST_TEST_MESSAGE("replica B completed the job " << took.count() << " ms after A was killed");
  // Not before A's lease ran out (A renewed it at its last poll), and within
  // the lease plus the third of it between B's looks, with room for the steps.
  BOOST_TEST(took.count() >= kLeaseSeconds * 1000 - 300, took.count() << " ms");
  BOOST_TEST(took.count() < kLeaseSeconds * 1000 * 4 / 3 + 2000, took.count() << " ms");
  BOOST_TEST(replicas.b->stderr_text().find("export " + id + ": adopted") != std::string::npos,
             replicas.b->stderr_text());

  // Exactly once at the exporting server: one export job, one kick-off, B
  // went on polling A's status URL, each file fetched once.
  const auto [jobs, polls] = replicas.server_jobs();
  BOOST_TEST(jobs == 1u);
  BOOST_TEST(polls > polls_by_a);
  const auto log = replicas.fhir.request_log();
  BOOST_TEST(crdex::test::count_occurrences(log, "$export") == 1u, log);
  BOOST_TEST(crdex::test::count_occurrences(log, "/bulk/files/") == 2u, log);

  crdex::test::Json job(crdex::test::http_get(replicas.b->base_url() + "/bulk-exports/" + id).body);
  BOOST_TEST(int64_t(job.root()["polls"]) >= polls_by_a);
  auto files = job.root()["files"].get_array();
  BOOST_TEST_REQUIRE(files.size() == 2u);
  for (auto file : files) {
    const std::string path{std::string_view(file["path"])};
    BOOST_TEST(path.starts_with((replicas.dir.path() / "b").string()), path);  // B downloaded them
    BOOST_TEST(std::filesystem::exists(path), path);
  }
}

BOOST_AUTO_TEST_CASE(a_job_cancelled_through_one_replica_is_not_run_again_by_the_other) {
  ExportReplicas replicas;
  const auto started = crdex::test::http_post(replicas.a->base_url() + "/bulk-exports",
                                              R"({"destination":"ehr","group":"panel","types":["Patient"]})");
  BOOST_TEST_REQUIRE(started.status == 202, started.body);
  crdex::test::Json submitted(started.body);
  const std::string id{std::string_view(submitted.root()["id"])};
  crdex::test::wait_until([&] { return replicas.server_jobs().second >= 1; }, "replica A's first status poll");

  const auto cancelled = crdex::test::http_request("DELETE", replicas.b->base_url() + "/bulk-exports/" + id);
  BOOST_TEST_REQUIRE(cancelled.status == 202, cancelled.body);
  BOOST_TEST(ExportReplicas::state_of(*replicas.a, id) == "cancelled");
  BOOST_TEST(replicas.fhir.request_log().find("\"method\":\"DELETE\"") != std::string::npos);
  // Both replicas stay up: A drops the job at its next claim, and B's keeper,
  // looking every third of the lease, never adopts it. At most one poll of A
  // was already under way when the cancel came.
  const auto polls_at_cancel = replicas.server_jobs().second;
  replicas.bulk_config(R"({"polls":0})");
  const auto until = steady_clock::now() + std::chrono::seconds(2 * kLeaseSeconds);
  while (steady_clock::now() < until) {
    BOOST_TEST_REQUIRE(ExportReplicas::state_of(*replicas.b, id) == "cancelled");
    std::this_thread::sleep_for(milliseconds(100));  // paces the checks over the observation window
  }
  BOOST_TEST(replicas.server_jobs().second <= polls_at_cancel + 1);
  BOOST_TEST(ExportReplicas::state_of(*replicas.a, id) == "cancelled");
  BOOST_TEST(replicas.fhir.request_log().find("/bulk/files/") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
