// Two crdex-server replicas on one PostgreSQL (--store postgresql://...) as
// CDex Data Source: a Task posted to replica A waits for review, is read and
// rejected through replica B, and A then shows it rejected and refuses a
// second review (the status move is claimed once across replicas).

#include <boost/test/unit_test.hpp>

#include <fstream>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/postgres_database.hpp"
#include "support/server_process.hpp"
#include "support/waiting.hpp"

namespace {

constexpr const char* kCdexReplicaAdmin = "cdex-admin-token-shared-by-the-replicas";

struct CdexReplicas {
  crdex::test::ScratchPostgresDatabase database;
  crdex::test::TempDir dir;
  std::unique_ptr<crdex::test::ServerProcess> a;
  std::unique_ptr<crdex::test::ServerProcess> b;

  CdexReplicas() {
    std::ofstream(dir.path() / "admin.token") << kCdexReplicaAdmin << "\n";
    a = start();
    b = start();
  }
  std::unique_ptr<crdex::test::ServerProcess> start() const {
    // The EHR is never reached: every Task waits for review.
    return std::make_unique<crdex::test::ServerProcess>(std::vector<std::string>{
        "--store", database.url(), "--cdex-ehr-fhir", "http://127.0.0.1:9/fhir", "--cdex-review", "all",
        "--cdex-admin-token-file", (dir.path() / "admin.token").string()});
  }
  crdex::test::HttpResult call(const crdex::test::ServerProcess& replica, const std::string& method,
                               const std::string& path, const std::string& body = {}) const {
    return crdex::test::http_request(method, replica.base_url() + path, body, "application/fhir+json",
                                     {std::string("Authorization: Bearer ") + kCdexReplicaAdmin});
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(store_cdex_replicas)

BOOST_AUTO_TEST_CASE(CDEX_a_task_posted_to_replica_a_is_reviewed_through_replica_b_once) {
  CdexReplicas replicas;
  const auto posted = replicas.call(*replicas.a, "POST", "/fhir/Task",
                                    crdex::test::read_fixture("cdex-ig/cdex-task-example1.json"));
  BOOST_TEST_REQUIRE(posted.status == 201, posted.body);
  const std::string id = crdex::test::first_id_in(posted.body);
  BOOST_TEST_REQUIRE(!id.empty(), posted.body);

  const auto waiting = replicas.call(*replicas.b, "GET", "/fhir/Task/" + id);
  BOOST_TEST_REQUIRE(waiting.status == 200, waiting.body);
  BOOST_TEST(waiting.body.find(R"("status":"on-hold")") != std::string::npos, waiting.body);
  const auto review_list = replicas.call(*replicas.b, "GET", "/cdex/review");
  BOOST_TEST(review_list.body.find(id) != std::string::npos, review_list.body);

  const auto rejected =
      replicas.call(*replicas.b, "POST", "/cdex/review/" + id + "/reject", R"({"reason":"not our patient"})");
  BOOST_TEST_REQUIRE(rejected.status == 200, rejected.body);
  const auto read_at_a = replicas.call(*replicas.a, "GET", "/fhir/Task/" + id);
  BOOST_TEST(read_at_a.body.find(R"("status":"rejected")") != std::string::npos, read_at_a.body);
  const auto again = replicas.call(*replicas.a, "POST", "/cdex/review/" + id + "/approve", "{}");
  BOOST_TEST(again.status == 409, again.body);
}

BOOST_AUTO_TEST_SUITE_END()
