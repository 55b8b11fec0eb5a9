// Bulk export jobs on both back ends (cdex/bulk_job_store.hpp): insert, get,
// list, update, complete and cancel; then leases between two connections to
// one database, the way two replicas hold them: a lease one holds is not
// taken by the other until it expires, then it is; of many claims at once
// exactly one wins; a replica that lost its lease writes nothing; a
// cancelled job is never claimed again.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "crdex/cdex/bulk_job_store.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/sqlite_database.hpp"
#include "store/store_backends.hpp"

namespace {

using crdex::cdex::BulkJob;
using crdex::cdex::BulkJobFile;
using crdex::cdex::BulkJobStore;
using std::chrono::milliseconds;

std::shared_ptr<BulkJobStore> open_jobs_for_test(const crdex::test::StoreBackend& backend) {
  auto store = crdex::cdex::open_bulk_job_store(backend.location());
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().message));
  return std::move(store).value();
}

BulkJob new_export_job(const std::string& created_at = "2026-01-01T00:00:00Z") {
  BulkJob job;
  job.id = crdex::fhir::random_uuid();
  job.created_at = created_at;
  job.fhir_server = "https://ehr.example.org/fhir";
  job.group_id = "panel";
  job.types = {"Patient", "Coverage"};
  job.since = "2025-01-01T00:00:00Z";
  job.export_type = "hl7.fhir.us.davinci-atr";
  job.state = "kick-off";
  job.needs_token = true;
  return job;
}

BulkJob stored_job(BulkJobStore& store, const std::string& id) {
  auto got = store.get(id);
  BOOST_TEST_REQUIRE(got.ok());
  BOOST_TEST_REQUIRE(got->has_value());
  return **got;
}

bool claimed(BulkJobStore& store, const std::string& id, const std::string& holder, milliseconds lease) {
  auto result = store.claim(id, holder, lease);
  BOOST_TEST_REQUIRE(result.ok(), (result.ok() ? "" : result.error().message));
  return *result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_bulk_jobs)

CRDEX_STORE_CASE(a_job_goes_from_kick_off_to_completed_with_its_files) {
  auto store = open_jobs_for_test(backend);
  auto job = new_export_job();
  BOOST_TEST_REQUIRE(store->insert(job, "replica-a", milliseconds(60'000)).ok());
  auto second = new_export_job("2026-01-02T00:00:00Z");
  BOOST_TEST_REQUIRE(store->insert(second).ok());

  auto read = stored_job(*store, job.id);
  BOOST_TEST(read.group_id == "panel");
  BOOST_TEST(read.types == job.types);
  BOOST_TEST(read.export_type == "hl7.fhir.us.davinci-atr");
  BOOST_TEST(read.needs_token);
  BOOST_TEST(read.lease_holder == "replica-a");
  BOOST_TEST(read.lease_until_ms > 0);
  BOOST_TEST(!store->get("no-such-job")->has_value());
  auto listed = store->list();
  BOOST_TEST_REQUIRE(listed.ok());
  BOOST_TEST_REQUIRE(listed->size() == 2u);
  BOOST_TEST(listed->at(0).id == job.id);
  BOOST_TEST(*store->unfinished_ids() == (std::vector<std::string>{job.id, second.id}));

  job.state = "in-progress";
  job.status_url = "https://ehr.example.org/bulk/status/1";
  job.polls = 3;
  job.progress = "50%";
  BOOST_TEST(*store->update(job, "replica-a"));
  BOOST_TEST(!*store->update(job, "replica-b"));  // not the holder: nothing written
  // complete() only from downloading.
  BOOST_TEST(!*store->complete(job.id, {}, "replica-a"));
  job.state = "downloading";
  job.manifest = R"({"output":[]})";
  BOOST_TEST(*store->update(job, "replica-a"));
  const std::vector<BulkJobFile> files{{1, "output", "Patient", "https://ehr/files/1", "/data/exports/1.ndjson", 2, 40},
                                       {2, "error", "OperationOutcome", "https://ehr/files/2", "/data/exports/2.ndjson",
                                        1, 20}};
  BOOST_TEST(!*store->complete(job.id, files, "replica-b"));
  BOOST_TEST(*store->complete(job.id, files, "replica-a"));
  read = stored_job(*store, job.id);
  BOOST_TEST(read.state == "completed");
  BOOST_TEST(read.polls == 3);
  BOOST_TEST(read.status_url == job.status_url);
  BOOST_TEST_REQUIRE(read.files.size() == 2u);
  BOOST_TEST(read.files[1].kind == "error");
  BOOST_TEST(read.files[1].resources == 1);
  BOOST_TEST(read.files[0].path == "/data/exports/1.ndjson");
  // Finished: no further writes, no cancel, no claim.
  job.state = "in-progress";
  BOOST_TEST(!*store->update(job, "replica-a"));
  BOOST_TEST(!*store->cancel(job.id));
  BOOST_TEST(!claimed(*store, job.id, "replica-a", milliseconds(60'000)));
  BOOST_TEST(*store->unfinished_ids() == (std::vector<std::string>{second.id}));
}

CRDEX_STORE_CASE(a_cancelled_job_is_never_revived) {
  auto store = open_jobs_for_test(backend);
  auto job = new_export_job();
  BOOST_TEST_REQUIRE(store->insert(job, "replica-a", milliseconds(60'000)).ok());
  BOOST_TEST(*store->cancel(job.id));  // whoever holds the lease
  BOOST_TEST(stored_job(*store, job.id).state == "cancelled");
  BOOST_TEST(!*store->cancel(job.id));
  job.state = "in-progress";
  BOOST_TEST(!*store->update(job, "replica-a"));  // the step that was running when it was cancelled
  BOOST_TEST(!claimed(*store, job.id, "replica-a", milliseconds(60'000)));
  BOOST_TEST(store->claimable_ids("replica-b")->empty());
  BOOST_TEST(stored_job(*store, job.id).state == "cancelled");
}

CRDEX_STORE_CASE(a_lease_held_by_one_replica_is_taken_by_another_only_once_it_expires) {
  auto a = open_jobs_for_test(backend);
  auto b = open_jobs_for_test(backend);
  auto job = new_export_job();
  BOOST_TEST_REQUIRE(a->insert(job).ok());
  BOOST_TEST(*b->claimable_ids("replica-b") == (std::vector<std::string>{job.id}));  // free

  const milliseconds lease(1000);
  const auto claimed_at = std::chrono::steady_clock::now();
  BOOST_TEST_REQUIRE(claimed(*a, job.id, "replica-a", lease));
  BOOST_TEST(!claimed(*b, job.id, "replica-b", lease));
  BOOST_TEST(b->claimable_ids("replica-b")->empty());
  BOOST_TEST(*a->claimable_ids("replica-a") == (std::vector<std::string>{job.id}));  // its own
  job.state = "in-progress";
  BOOST_TEST(!*b->update(job, "replica-b"));

  // Replica A stops renewing (it died): B gets the job once the lease has run out, not before.
  const auto deadline = claimed_at + std::chrono::seconds(20);
  while (!claimed(*b, job.id, "replica-b", lease)) {
    const bool in_time = std::chrono::steady_clock::now() < deadline;
    BOOST_TEST_REQUIRE(in_time, "the lease never expired");
    std::this_thread::sleep_for(milliseconds(20));  // paces the claims
  }
  const auto waited = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - claimed_at);
  BOOST_TEST(waited.count() >= 900, waited.count() << " ms");
  BOOST_TEST(stored_job(*a, job.id).lease_holder == "replica-b");
  // A, back from a stall, has lost it: its claim and its writes fail.
  BOOST_TEST(!claimed(*a, job.id, "replica-a", lease));
  BOOST_TEST(!*a->update(job, "replica-a"));
  BOOST_TEST(*b->update(job, "replica-b"));
  BOOST_TEST(stored_job(*a, job.id).state == "in-progress");
}

CRDEX_STORE_CASE(a_released_lease_is_taken_at_once) {
  auto a = open_jobs_for_test(backend);
  auto b = open_jobs_for_test(backend);
  auto job = new_export_job();
  BOOST_TEST_REQUIRE(a->insert(job, "replica-a", milliseconds(600'000)).ok());
  BOOST_TEST(!claimed(*b, job.id, "replica-b", milliseconds(600'000)));
  BOOST_TEST(*a->release("replica-a") == 1);
  BOOST_TEST(*b->claimable_ids("replica-b") == (std::vector<std::string>{job.id}));
  BOOST_TEST(claimed(*b, job.id, "replica-b", milliseconds(600'000)));
  BOOST_TEST(!claimed(*a, job.id, "replica-a", milliseconds(600'000)));
}

CRDEX_STORE_CASE(of_many_claims_at_once_exactly_one_wins) {
  auto a = open_jobs_for_test(backend);
  auto b = open_jobs_for_test(backend);
  auto job = new_export_job();
  BOOST_TEST_REQUIRE(a->insert(job).ok());
  std::atomic<int> winners{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto result = (i % 2 ? *a : *b).claim(job.id, "replica-" + std::to_string(i), milliseconds(60'000));
      if (!result.ok()) ++failures;
      else if (*result) ++winners;
    });
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(winners.load() == 1);
}

// SQLite only: an exports.sqlite at version 2 (before leases) gets the lease
// columns in place, and its unfinished job is free to claim.
BOOST_AUTO_TEST_CASE(a_version_2_export_store_is_migrated_to_leases_in_place) {
  crdex::test::SqliteBackend backend;
  {
    auto old = crdex::fhir::SqliteDatabase::open(backend.dir().path() / "exports.sqlite", R"sql(
CREATE TABLE jobs (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  fhir_server TEXT NOT NULL, group_id TEXT NOT NULL, types TEXT NOT NULL, since TEXT NOT NULL,
  state TEXT NOT NULL, status_url TEXT NOT NULL, progress TEXT NOT NULL, polls INTEGER NOT NULL,
  error TEXT NOT NULL, manifest TEXT NOT NULL, transaction_time TEXT NOT NULL, needs_token INTEGER NOT NULL,
  export_type TEXT NOT NULL DEFAULT '');
CREATE TABLE files (job_id TEXT NOT NULL REFERENCES jobs (id), sequence INTEGER NOT NULL, kind TEXT NOT NULL,
  type TEXT NOT NULL, url TEXT NOT NULL, path TEXT NOT NULL, resources INTEGER NOT NULL, bytes INTEGER NOT NULL,
  PRIMARY KEY (job_id, sequence));
CREATE TABLE schema_version (store TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL);
INSERT INTO schema_version VALUES ('export job store', 2, '2026-01-01T00:00:00Z');
INSERT INTO jobs VALUES ('old-job', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'http://127.0.0.1:1/fhir',
  'panel', 'Patient', '', 'in-progress', 'http://127.0.0.1:1/status/1', '', 4, '', '', '', 0, '');
)sql", {.name = "old export store"});
    BOOST_TEST_REQUIRE(old.ok());
  }
  auto store = open_jobs_for_test(backend);
  const auto job = stored_job(*store, "old-job");
  BOOST_TEST(job.polls == 4);
  BOOST_TEST(job.lease_holder == "");
  BOOST_TEST(*store->claimable_ids("replica-a") == (std::vector<std::string>{"old-job"}));
  BOOST_TEST(claimed(*store, "old-job", "replica-a", milliseconds(60'000)));
}

BOOST_AUTO_TEST_SUITE_END()
