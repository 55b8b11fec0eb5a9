// The audit log below the server: redaction of the access token, the
// background writer and its bounded queue, back-pressure, retention and
// searches. Migrations: audit_migration_test.cpp; feedback: feedback_test.cpp.
#include <boost/test/unit_test.hpp>
#include <future>

#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/audit_store.hpp"
#include "crdex/hooks/feedback.hpp"
#include "crdex/hooks/feedback_store.hpp"
#include "crdex/hooks/timestamps.hpp"
#include "audit_fixtures.hpp"
#include "support/fixtures.hpp"

using namespace crdex;
using namespace crdex::test::audit;


BOOST_AUTO_TEST_SUITE(audit)

BOOST_AUTO_TEST_CASE(CRD_45_fhirAuthorization_is_removed_before_storing) {
  const auto redacted = hooks::redact_request(hook_call("hi-1", "p-1"));
  BOOST_TEST(redacted.json.find(kAccessToken) == std::string::npos);
  BOOST_TEST(redacted.json.find("fhirAuthorization") == std::string::npos);
  BOOST_TEST(redacted.json.find("\"fhirServer\":\"https://ehr.example.org/fhir\"") != std::string::npos);
  BOOST_TEST(redacted.hook == "order-sign");
  BOOST_TEST(redacted.hook_instance == "hi-1");
  BOOST_TEST(redacted.patient_id == "p-1");
  // An escaped key is the same key; a body that is not an object is not kept at all.
  const auto escaped = hooks::redact_request(R"({"fhir\u0041uthorization":{"access_token":"abc-secret"}})");
  BOOST_TEST(escaped.json == "{}");
  BOOST_TEST(hooks::redact_request(R"(["abc-secret"])").json.empty());
  BOOST_TEST(hooks::redact_request(R"({"fhirAuthorization":"abc-secret")").json.empty());
}

BOOST_AUTO_TEST_CASE(rfc3339_times_parse_and_format) {
  BOOST_TEST(hooks::parse_rfc3339_ms("1970-01-01T00:00:01Z").value() == 1000);
  BOOST_TEST(hooks::parse_rfc3339_ms("1970-01-01T01:00:00.5+01:00").value() == 500);
  BOOST_TEST(hooks::format_rfc3339_ms(1'795'000'000'123) == "2026-11-18T11:06:40.123Z");
  BOOST_TEST(hooks::parse_rfc3339_ms(hooks::format_rfc3339_ms(1'795'000'000'123)).value() == 1'795'000'000'123);
  for (const char* bad : {"2026-02-30T00:00:00Z", "2026-11-22", "2026-11-22T03:04:05", "2026-11-22T25:00:00Z",
                          "2026-11-22T03:04:05.Z", "2026-11-22T03:04:05+0100", "x"})
    BOOST_TEST(!hooks::parse_rfc3339_ms(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(records_are_written_by_the_writer_thread_and_a_full_queue_drops) {
  test::TempDir dir;
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  bool first = true;
  hooks::AuditOptions options;
  options.queue_capacity = 2;
  options.before_batch = [&] {
    if (!first) return;
    first = false;
    entered.set_value();
    released.wait();  // holds the writer: the disk "is slow"
  };
  auto log = hooks::AuditLog::open(dir.path() / "audit.sqlite", options);
  BOOST_TEST_REQUIRE(log.ok());
  const int64_t now = hooks::now_epoch_ms();
  BOOST_TEST((*log)->record(record_of("hi-1", "p-1", now)));
  entered.get_future().wait();  // the writer holds hi-1 in its batch
  BOOST_TEST((*log)->record(record_of("hi-2", "p-1", now)));
  BOOST_TEST((*log)->record(record_of("hi-3", "p-1", now)));
  BOOST_TEST(!(*log)->record(record_of("hi-4", "p-1", now)));  // queue full: dropped, not waited for
  auto stats = (*log)->stats();
  BOOST_TEST(stats.queued == 3u);  // two waiting and hi-1 in the writer's batch
  BOOST_TEST(stats.dropped == 1u);
  BOOST_TEST(stats.written == 0u);
  // record() returned while nothing was written: the caller never waits on the disk.
  BOOST_TEST((*log)->store().find({}).value().empty());

  release.set_value();
  (*log)->close();  // writes everything queued
  stats = (*log)->stats();
  BOOST_TEST(stats.written == 3u);
  BOOST_TEST(stats.queued == 0u);
  const auto all = (*log)->store().find({}).value();
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].hook_instance == "hi-1");
  BOOST_TEST(all[2].hook_instance == "hi-3");
  BOOST_TEST(!(*log)->record(record_of("hi-5", "p-1", now)));  // closed
}

BOOST_AUTO_TEST_CASE(the_queue_is_bounded_by_bytes_too) {
  test::TempDir dir;
  hooks::AuditOptions options;
  options.queue_max_bytes = 64;  // smaller than one call's bodies
  auto log = hooks::AuditLog::open(dir.path() / "audit.sqlite", options);
  BOOST_TEST_REQUIRE(log.ok());
  BOOST_TEST(!(*log)->record(record_of("hi-1", "p-1", hooks::now_epoch_ms())));
  (*log)->close();
  BOOST_TEST((*log)->stats().dropped == 1u);
  BOOST_TEST((*log)->store().find({}).value().empty());
}

BOOST_AUTO_TEST_CASE(CRD_45_search_by_hookInstance_patient_time_and_pages) {
  test::TempDir dir;
  auto log = hooks::AuditLog::open(dir.path() / "audit.sqlite");
  BOOST_TEST_REQUIRE(log.ok());
  const int64_t t0 = 1'795'000'000'000;
  for (int i = 0; i < 6; ++i)
    (*log)->record(record_of("hi-" + std::to_string(i), i % 2 ? "odd" : "even", t0 + i * 1000));
  (*log)->close();
  auto& store = (*log)->store();

  hooks::AuditQuery by_instance;
  by_instance.hook_instance = "hi-3";
  auto found = store.find(by_instance).value();
  BOOST_TEST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].patient_id == "odd");
  BOOST_TEST(found[0].recorded_at == hooks::format_rfc3339_ms(t0 + 3000));
  BOOST_TEST(found[0].request.find(kAccessToken) == std::string::npos);
  BOOST_TEST(found[0].response == R"({"cards":[]})");

  hooks::AuditQuery by_patient;
  by_patient.patient_id = "even";
  BOOST_TEST(store.find(by_patient).value().size() == 3u);

  hooks::AuditQuery window;  // [t0+1s, t0+5s), two per page
  window.from_ms = t0 + 1000;
  window.to_ms = t0 + 5000;
  window.limit = 2;
  auto page = store.find(window).value();
  BOOST_TEST_REQUIRE(page.size() == 2u);
  BOOST_TEST(page[0].hook_instance == "hi-1");
  window.after_id = page.back().id;
  page = store.find(window).value();
  BOOST_TEST_REQUIRE(page.size() == 2u);
  BOOST_TEST(page[1].hook_instance == "hi-4");
  window.after_id = page.back().id;
  BOOST_TEST(store.find(window).value().empty());
}

BOOST_AUTO_TEST_CASE(ops_request_id_is_kept_in_compact_and_full_records_and_searchable) {
  test::TempDir dir;
  auto store = hooks::AuditStore::open(dir.path() / "audit.sqlite");
  BOOST_TEST_REQUIRE(store.ok());
  auto full = record_of("hi-full", "p-1", 1'795'000'000'000);
  full.request_id = "ehr-req-full-1";
  auto compact = record_of("hi-compact", "p-1", 1'795'000'001'000);
  compact.request_id = "ehr-req-compact-2";
  compact.keep_bodies = false;
  auto without = record_of("hi-none", "p-1", 1'795'000'002'000);
  BOOST_TEST_REQUIRE((*store)->write({full, compact, without}).ok());

  hooks::AuditQuery by_id;
  by_id.request_id = "ehr-req-compact-2";
  const auto found = (*store)->find(by_id).value();
  BOOST_TEST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].hook_instance == "hi-compact");
  BOOST_TEST(found[0].request.empty());  // compact: no body, the id all the same
  by_id.request_id = "ehr-req-full-1";
  BOOST_TEST_REQUIRE((*store)->find(by_id).value().size() == 1u);
  BOOST_TEST((*store)->find(by_id).value()[0].request.find("hi-full") != std::string::npos);
  hooks::AuditQuery everything;
  const auto all = (*store)->find(everything).value();
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[2].request_id.empty());
}

BOOST_AUTO_TEST_CASE(ops_above_the_high_water_mark_admit_refuses_and_nothing_is_dropped) {
  test::TempDir dir;
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  bool first = true;
  hooks::AuditOptions options;
  options.queue_capacity = 4;
  options.high_water = 2;
  options.batch_size = 1;
  options.before_batch = [&] {
    if (!first) return;
    first = false;
    entered.set_value();
    released.wait();  // holds the writer
  };
  auto log = hooks::AuditLog::open(dir.path() / "audit.sqlite", options);
  BOOST_TEST_REQUIRE(log.ok());
  const int64_t now = hooks::now_epoch_ms();
  // The writer takes the first record and waits: two more fill the queue to its mark.
  BOOST_TEST((*log)->admit());
  BOOST_TEST((*log)->record(record_of("hi-1", "p", now)));
  entered.get_future().wait();  // the writer holds hi-1 in its batch: the queue itself is empty
  BOOST_TEST((*log)->admit());
  BOOST_TEST((*log)->record(record_of("hi-2", "p", now)));
  BOOST_TEST((*log)->admit());
  BOOST_TEST((*log)->record(record_of("hi-3", "p", now)));
  BOOST_TEST(!(*log)->admit());  // at the mark: the caller answers 503, nothing is queued
  BOOST_TEST(!(*log)->admit());
  auto stats = (*log)->stats();
  BOOST_TEST(stats.busy_refusals == 2u);
  BOOST_TEST(stats.dropped == 0u);
  BOOST_TEST((*log)->high_water() == 2u);
  release.set_value();
  (*log)->close();
  stats = (*log)->stats();
  BOOST_TEST(stats.written == 3u);
  BOOST_TEST(stats.dropped == 0u);
}

BOOST_AUTO_TEST_CASE(retention_purges_old_calls_and_feedback_keeps_its_rule) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.sqlite";
  auto log = hooks::AuditLog::open(file);
  auto feedback = hooks::FeedbackStore::open(file);
  BOOST_TEST_REQUIRE((log.ok() && feedback.ok()));
  const int64_t now = hooks::now_epoch_ms();
  const int64_t long_ago = now - int64_t{400} * 24 * 3600 * 1000;
  (*log)->record(record_of("old", "p", long_ago, {{kCard, "ServiceRequest/1", "mammo-pa", 3, "coverage-info", "conditional/auth-needed"}}));
  (*log)->record(record_of("new", "p", now));
  (*log)->close();
  auto items = hooks::read_feedback(card_feedback(std::string(R"({"card":")") + kCard +
                                                  R"(","outcome":"overridden","outcomeTimestamp":"2026-11-22T03:04:05Z"})"));
  BOOST_TEST_REQUIRE(items.ok());
  BOOST_TEST((*feedback)->add("crdex-order-sign", *items).value() == 1);

  BOOST_TEST((*log)->store().purge_before(now - int64_t{365} * 24 * 3600 * 1000).value() == 1);
  const auto left = (*log)->store().find({}).value();
  BOOST_TEST_REQUIRE(left.size() == 1u);
  BOOST_TEST(left[0].hook_instance == "new");
  const auto summary = (*feedback)->summary("").value();
  BOOST_TEST_REQUIRE(summary.size() == 1u);
  BOOST_TEST(summary[0].rule_id == "mammo-pa");
  BOOST_TEST(summary[0].rule_set_version == 3);
  BOOST_TEST(summary[0].overridden == 1);
}

BOOST_AUTO_TEST_CASE(a_size_bound_purges_the_oldest_calls_first) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.sqlite";
  hooks::AuditOptions options;
  options.max_bytes = 256 * 1024;
  const std::string big_answer = R"({"cards":[],"note":")" + std::string(4000, 'x') + R"("})";
  const int64_t t0 = hooks::now_epoch_ms();
  // Ten runs of 50 calls with about 4.5 KB kept each: about 2.2 MB without the bound.
  for (int run = 0; run < 10; ++run) {
    auto log = hooks::AuditLog::open(file, options);
    BOOST_TEST_REQUIRE(log.ok());
    for (int i = 0; i < 50; ++i) {
      auto record = record_of("hi-" + std::to_string(run * 50 + i), "p", t0 + run * 50 + i);
      record.response_body = big_answer;
      BOOST_TEST((*log)->record(std::move(record)));
    }
    (*log)->close();  // writes the 50; the size is checked after each batch
    BOOST_TEST((*log)->stats().written == 50u);
    BOOST_TEST((*log)->store().used_bytes().value() <= options.max_bytes);
    if (run == 9) BOOST_TEST((*log)->stats().purged_for_size > 0u);
  }
  auto store = hooks::AuditStore::open(file);
  BOOST_TEST_REQUIRE(store.ok());
  hooks::AuditQuery all;
  all.limit = 1000;
  const auto left = (*store)->find(all).value();
  BOOST_TEST_REQUIRE(!left.empty());
  BOOST_TEST(left.size() < 100u);  // what 256 KB holds of 4.5 KB calls
  BOOST_TEST(left.back().hook_instance == "hi-499");  // the newest stays
  // What is left is the newest calls, without a gap.
  for (size_t i = 0; i < left.size(); ++i)
    BOOST_TEST(left[i].hook_instance == "hi-" + std::to_string(500 - left.size() + i));
}

BOOST_AUTO_TEST_SUITE_END()
