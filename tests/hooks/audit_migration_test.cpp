// The SQLite audit database of earlier releases opens and is migrated in
// place, keeping every call it held.
#include <boost/test/unit_test.hpp>

#include "crdex/fhir/sqlite_database.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/audit_store.hpp"
#include "crdex/hooks/feedback_store.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/hooks/timestamps.hpp"
#include "audit_fixtures.hpp"
#include "support/fixtures.hpp"

using namespace crdex;
using namespace crdex::test::audit;

BOOST_AUTO_TEST_SUITE(audit_migration)

BOOST_AUTO_TEST_CASE(ops_an_audit_database_from_before_request_ids_opens_and_keeps_its_calls) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.sqlite";
  {
    // The invocations table as earlier releases made it: no request_id column.
    auto old = fhir::SqliteDatabase::open(file, R"sql(
      CREATE TABLE invocations (id INTEGER PRIMARY KEY, recorded_ms INTEGER NOT NULL, recorded_at TEXT NOT NULL,
        service TEXT NOT NULL, hook TEXT, hook_instance TEXT, patient TEXT, payer TEXT, status INTEGER NOT NULL,
        duration_us INTEGER NOT NULL, request TEXT, response TEXT NOT NULL);
      INSERT INTO invocations (recorded_ms, recorded_at, service, hook_instance, status, duration_us, response)
        VALUES (1795000000000, '2026-11-18T08:26:40.000Z', 'crdex-order-sign', 'hi-old', 200, 5, '{"cards":[]}');
    )sql", {.name = "old audit store"});
    BOOST_TEST_REQUIRE(old.ok());
  }
  auto store = hooks::AuditStore::open(file);
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().message));
  auto fresh = record_of("hi-new", "p-1", 1'795'000'001'000);
  fresh.request_id = "after-the-upgrade";
  BOOST_TEST_REQUIRE((*store)->write({fresh}).ok());
  const auto all = (*store)->find(hooks::AuditQuery{}).value();
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].hook_instance == "hi-old");
  BOOST_TEST(all[0].request_id.empty());
  BOOST_TEST(all[1].request_id == "after-the-upgrade");
  store = hooks::AuditStore::open(file);  // opening again changes nothing
  BOOST_TEST_REQUIRE(store.ok());
  BOOST_TEST((*store)->find(hooks::AuditQuery{}).value().size() == 2u);
}

BOOST_AUTO_TEST_CASE(ops_an_audit_database_of_the_first_schema_is_migrated_in_place_and_keeps_its_rows) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.sqlite";
  const std::string old_compact =
      R"({"bodiesKept":false,"request":{"sha256":")" + std::string(64, 'a') +
      R"(","bytes":10},"response":{"sha256":")" + std::string(64, 'b') + R"(","bytes":20}})";
  {
    // What releases before migration 2 made (no schema_version table).
    auto old = fhir::SqliteDatabase::open(file, R"sql(
      CREATE TABLE invocations (id INTEGER PRIMARY KEY, recorded_ms INTEGER NOT NULL, recorded_at TEXT NOT NULL,
        service TEXT NOT NULL, hook TEXT, hook_instance TEXT, patient TEXT, payer TEXT, status INTEGER NOT NULL,
        duration_us INTEGER NOT NULL, request TEXT, response TEXT NOT NULL, request_id TEXT);
      CREATE TABLE card_origins (card_uuid TEXT PRIMARY KEY,
        invocation_id INTEGER NOT NULL REFERENCES invocations (id) ON DELETE CASCADE, payer TEXT NOT NULL,
        rule_set_version INTEGER NOT NULL, rule_id TEXT NOT NULL, card_type TEXT NOT NULL, order_ref TEXT NOT NULL);
      CREATE TABLE feedback (id INTEGER PRIMARY KEY, service TEXT NOT NULL, card_uuid TEXT NOT NULL,
        outcome TEXT NOT NULL, outcome_timestamp TEXT NOT NULL, accepted_suggestions TEXT NOT NULL,
        override_system TEXT, override_code TEXT, override_display TEXT, user_comment TEXT,
        received_at TEXT NOT NULL, payer TEXT, rule_set_version INTEGER, rule_id TEXT, card_type TEXT,
        UNIQUE (card_uuid, outcome, outcome_timestamp));
    )sql", {.name = "old audit store"});
    BOOST_TEST_REQUIRE(old.ok());
    fhir::SqliteStatement call(**old,
                               "INSERT INTO invocations (recorded_ms, recorded_at, service, hook, hook_instance, "
                               "patient, payer, status, duration_us, request, response, request_id) VALUES "
                               "(1795000000000, '2026-11-18T11:06:40.000Z', 'crdex-order-sign', 'order-sign', "
                               "'hi-old', 'p-1', 'acme-health-plan', 200, 5, NULL, ?, 'rid-old')");
    BOOST_TEST_REQUIRE(call.bind(1, old_compact).run());
    const std::string card = std::string("INSERT INTO card_origins VALUES ('") + kCard +
                             "', 1, 'acme-health-plan', 4, 'mammo-pa', 'coverage-info', 'ServiceRequest/1')";
    BOOST_TEST_REQUIRE((*old)->exec(card.c_str()));
    const std::string feedback = std::string("INSERT INTO feedback (service, card_uuid, outcome, outcome_timestamp, "
                                             "accepted_suggestions, received_at) VALUES ('crdex-order-sign', '") +
                                 kCard + "', 'accepted', '2026-11-18T08:30:00Z', '[]', '2026-11-18T08:30:01Z')";
    BOOST_TEST_REQUIRE((*old)->exec(feedback.c_str()));
  }
  auto log = hooks::AuditLog::open(file);
  BOOST_TEST_REQUIRE(log.ok(), (log.ok() ? "" : log.error().message));
  auto feedback = hooks::FeedbackStore::open(file);
  BOOST_TEST_REQUIRE(feedback.ok());
  // The old row as it was, and a compact record of this release beside it.
  auto fresh = record_of("hi-new", "p-1", 1'795'000'001'000);
  fresh.keep_bodies = false;
  BOOST_TEST((*log)->record(fresh));
  (*log)->close();
  const auto all = (*log)->store().find({}).value();
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].hook_instance == "hi-old");
  BOOST_TEST(all[0].recorded_at == "2026-11-18T11:06:40.000Z");  // formatted from recorded_ms now
  BOOST_TEST(all[0].request_id == "rid-old");
  BOOST_TEST(all[0].payer_id == "acme-health-plan");
  BOOST_TEST(all[0].response == old_compact);
  // The new compact record reads back in the same form, with the real hashes.
  const std::string expected = R"({"bodiesKept":false,"request":{"sha256":")" +
                               config::sha256_checksum(fresh.request_body).substr(7) + R"(","bytes":)" +
                               std::to_string(fresh.request_body.size()) + R"(},"response":{"sha256":")" +
                               config::sha256_checksum(fresh.response_body).substr(7) + R"(","bytes":)" +
                               std::to_string(fresh.response_body.size()) + "}}";
  BOOST_TEST(all[1].response == expected);
  BOOST_TEST(all[1].request.empty());
  BOOST_TEST(all[1].hook == "order-sign");
  // The migrated card origin still attributes the feedback on its card.
  const auto summary = (*feedback)->summary("acme-health-plan").value();
  BOOST_TEST_REQUIRE(summary.size() == 1u);
  BOOST_TEST(summary[0].rule_id == "mammo-pa");
  BOOST_TEST(summary[0].rule_set_version == 4);
  BOOST_TEST(summary[0].card_type == "coverage-info");
  BOOST_TEST(summary[0].accepted == 1);
  feedback->reset();
  log->reset();
  auto db = fhir::SqliteDatabase::open(file, "", {.name = "check"});
  BOOST_TEST_REQUIRE(db.ok());
  fhir::SqliteStatement version(**db, "SELECT version FROM schema_version WHERE store = 'audit store'");
  BOOST_TEST_REQUIRE((version.step() == fhir::SqliteStep::row));
  BOOST_TEST(version.integer(0) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
