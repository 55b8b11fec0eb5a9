// Da Vinci ATR member attribution list through crdex-server's export jobs
// ($davinci-data-export with exportType hl7.fhir.us.davinci-atr): the _type
// it needs, the roster it brings, and a job store from before exportType.
#include <signal.h>

#include <boost/test/unit_test.hpp>

#include "bulk_fixture.hpp"
#include "crdex/fhir/davinci_data_export.hpp"
#include "crdex/fhir/sqlite_database.hpp"

using namespace crdex;
using namespace crdex::test::bulk;

BOOST_FIXTURE_TEST_SUITE(bulk_export, BulkFixture)

BOOST_AUTO_TEST_CASE(ATR_01_missing_coverage_in_type_is_refused) {
  const auto atr = std::string(fhir::kAtrExportType);
  // The client: refused before any call.
  const auto kicked = fhir::bulk_kick_off(server(), {"panel", {"Group", "Patient"}, "", atr});
  BOOST_TEST_REQUIRE((kicked.kind == Kind::failed));
  BOOST_TEST(kicked.error.http_status == 400);
  BOOST_TEST(kicked.error.message.find("missing: Coverage") != std::string::npos, kicked.error.message);
  BOOST_TEST(fhir.request_log().find("davinci-data-export") == std::string::npos);
  auto other = fhir::check_davinci_export({"panel", {"Group", "Patient", "Coverage"}, "", "hl7.fhir.us.other"});
  BOOST_TEST_REQUIRE(!other.ok());
  BOOST_TEST(other.error().expression == "exportType");

  // crdex's job API: 400 + OperationOutcome naming _type; no job stored.
  test::ServerProcess crdex(fast_polls(fhir, config_dir.path()));
  const auto refused = test::http_post(crdex.base_url() + "/bulk-exports",
                                       R"({"destination":"ehr","group":"panel","exportType":")" + atr +
                                           R"(","types":["Group","Patient"]})");
  BOOST_TEST_REQUIRE(refused.status == 400, refused.body);
  test::Json outcome(refused.body);
  BOOST_TEST(std::string_view(outcome.root()["resourceType"]) == "OperationOutcome");
  BOOST_TEST(std::string_view(outcome.root()["issue"].at(0)["expression"].at(0)) == "_type", refused.body);
  BOOST_TEST(refused.body.find("Coverage") != std::string::npos, refused.body);
  BOOST_TEST(test::http_get(crdex.base_url() + "/bulk-exports").body.find("\"id\"") == std::string::npos);
  BOOST_TEST(fhir.request_log().find("davinci-data-export") == std::string::npos);

  // The test server checks the same (what a Data Source that enforces it answers).
  const auto direct = test::http_request("GET",
                                         fhir.fhir_url() + "/Group/panel/$davinci-data-export?exportType=" + atr +
                                             "&_type=Group,Patient",
                                         {}, "application/json", {"Prefer: respond-async"});
  BOOST_TEST(direct.status == 400, direct.body);
  BOOST_TEST(direct.body.find("_type must include Coverage") != std::string::npos, direct.body);
}

BOOST_AUTO_TEST_CASE(ATR_01_attribution_list_export_brings_the_roster) {
  bulk_config(R"({"polls":1})");
  test::ServerProcess crdex(fast_polls(fhir, config_dir.path()));
  const auto id = start_job(crdex, R"({"destination":"ehr","group":"panel","exportType":"hl7.fhir.us.davinci-atr",)"
                                   R"("types":["Group","Patient","Coverage"]})");
  wait_until([&] { return state_of(crdex, id) == "completed"; }, "the ATR export to complete");
  const auto log = fhir.request_log();
  BOOST_TEST(log.find("/fhir/Group/panel/$davinci-data-export?exportType=hl7.fhir.us.davinci-atr") !=
                 std::string::npos,
             log);
  BOOST_TEST(log.find("_type=Group,Patient,Coverage") != std::string::npos, log);
  test::Json job(job_json(crdex, id));
  BOOST_TEST(std::string_view(job.root()["exportType"]) == "hl7.fhir.us.davinci-atr");
  // The roster: the Group, its two members, the one Coverage of a member.
  BOOST_TEST(int64_t(job.root()["roster"]["Group"]) == 1);
  BOOST_TEST(int64_t(job.root()["roster"]["Patient"]) == 2);
  BOOST_TEST(int64_t(job.root()["roster"]["Coverage"]) == 1);
  auto files = job.root()["files"].get_array();
  BOOST_TEST_REQUIRE(files.size() == 3u);
  for (auto file : files) BOOST_TEST(lines_of(std::string(std::string_view(file["path"]))) == int64_t(file["resources"]));
  // A plain export's job has no exportType and no roster.
  const auto plain = start_job(crdex, panel_job());
  wait_until([&] { return state_of(crdex, plain) == "completed"; }, "the plain export to complete");
  test::Json plain_job(job_json(crdex, plain));
  BOOST_TEST(plain_job.root()["exportType"].error() == simdjson::NO_SUCH_FIELD);
  BOOST_TEST(plain_job.root()["roster"].error() == simdjson::NO_SUCH_FIELD);
}

// The export type is a column added to jobs: a store from before it (no
// schema_version) is adopted and migrated in place, its jobs kept.
BOOST_AUTO_TEST_CASE(ATR_01_an_older_export_job_store_is_migrated_in_place) {
  test::TempDir data;
  const auto data_dir = data.path() / "crdex";
  std::filesystem::create_directories(data_dir);
  {
    auto old = fhir::SqliteDatabase::open(data_dir / "exports.sqlite", R"sql(
CREATE TABLE jobs (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  fhir_server TEXT NOT NULL, group_id TEXT NOT NULL, types TEXT NOT NULL, since TEXT NOT NULL,
  state TEXT NOT NULL, status_url TEXT NOT NULL, progress TEXT NOT NULL, polls INTEGER NOT NULL,
  error TEXT NOT NULL, manifest TEXT NOT NULL, transaction_time TEXT NOT NULL, needs_token INTEGER NOT NULL);
CREATE TABLE files (job_id TEXT NOT NULL REFERENCES jobs (id), sequence INTEGER NOT NULL, kind TEXT NOT NULL,
  type TEXT NOT NULL, url TEXT NOT NULL, path TEXT NOT NULL, resources INTEGER NOT NULL, bytes INTEGER NOT NULL,
  PRIMARY KEY (job_id, sequence));
INSERT INTO jobs VALUES ('old-job', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'http://127.0.0.1:1/fhir',
  'panel', 'Patient', '', 'failed', '', '', 0, 'before the upgrade', '', '', 0);
)sql", {.name = "old export store"});
    BOOST_TEST_REQUIRE(old.ok());
  }
  test::ServerProcess crdex(fast_polls(fhir, config_dir.path()), {}, true, data_dir.string());
  test::Json job(job_json(crdex, "old-job"));
  BOOST_TEST(std::string_view(job.root()["error"]) == "before the upgrade");
  BOOST_TEST(job.root()["exportType"].error() == simdjson::NO_SUCH_FIELD);
  // New jobs store their export type next to it.
  const auto id = start_job(crdex, R"({"destination":"ehr","group":"panel","exportType":"hl7.fhir.us.davinci-atr",)"
                                   R"("types":["Group","Patient","Coverage"]})");
  test::Json fresh(job_json(crdex, id));
  BOOST_TEST(std::string_view(fresh.root()["exportType"]) == "hl7.fhir.us.davinci-atr");
}

BOOST_AUTO_TEST_SUITE_END()
