// Card feedback on both back ends (stored once, summarised per payer rule,
// attribution kept across a purge), and the audit shared the way replicas
// share it: two connections (two replicas' logs) writing into one store see
// each other's calls, number the same new terms at once without duplicates,
// and feedback posted through one replica is credited to cards the other
// answered with.

#include <boost/test/unit_test.hpp>

#include <thread>

#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/sqlite_database.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/feedback_store.hpp"
#include "crdex/hooks/timestamps.hpp"
#include "store/store_backends.hpp"

namespace {

using crdex::hooks::AuditQuery;
using crdex::hooks::AuditRecord;
using crdex::hooks::CardFeedback;

AuditRecord replica_call(const std::string& hook_instance, int64_t at_ms,
                         std::vector<crdex::hooks::CardOrigin> cards = {}) {
  AuditRecord record;
  record.service_id = "crdex-order-sign";
  record.received_ms = at_ms;
  record.duration_us = 10;
  record.status = 200;
  record.request_body = R"({"hook":"order-sign","hookInstance":")" + hook_instance +
                        R"(","context":{"patientId":"p"}})";
  record.response_body = R"({"cards":[]})";
  record.payer_id = "acme-health-plan";
  record.cards = std::move(cards);
  return record;
}

CardFeedback overridden(const std::string& card, const std::string& at, const std::string& code = {}) {
  CardFeedback item;
  item.card_uuid = card;
  item.outcome = "overridden";
  item.outcome_timestamp = at;
  if (!code.empty()) {
    item.override_system = "http://example.org/why";
    item.override_code = code;
    item.override_display = "Why: " + code;
    item.user_comment = "comment on " + code;
  }
  return item;
}

CardFeedback accepted(const std::string& card, const std::string& at) {
  CardFeedback item;
  item.card_uuid = card;
  item.outcome = "accepted";
  item.outcome_timestamp = at;
  item.accepted_suggestions = {"s-1", "s-2"};
  return item;
}

std::unique_ptr<crdex::hooks::AuditLog> open_replica_log(const crdex::test::StoreBackend& backend) {
  auto log = crdex::hooks::open_audit_log(backend.location());
  BOOST_TEST_REQUIRE(log.ok(), (log.ok() ? "" : log.error().message));
  return std::move(log).value();
}

std::unique_ptr<crdex::hooks::FeedbackStore> open_replica_feedback(const crdex::test::StoreBackend& backend) {
  auto store = crdex::hooks::open_feedback_store(backend.location());
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().message));
  return std::move(store).value();
}

// Terms stored more than once, and terms stored, read from the database itself.
std::pair<std::string, std::string> term_counts(const crdex::test::StoreBackend& backend) {
  const std::string duplicates =
      "SELECT COUNT(*) FROM (SELECT term FROM %T GROUP BY term HAVING COUNT(*) > 1) AS d";
  const std::string terms = "SELECT COUNT(*) FROM %T";
  auto table = [](std::string sql, const char* name) { return sql.replace(sql.find("%T"), 2, name); };
  if (const auto* pg = dynamic_cast<const crdex::test::PostgresBackend*>(&backend))
    return {pg->database().scalar(table(duplicates, "audit_terms")), pg->database().scalar(table(terms, "audit_terms"))};
  const auto& sqlite = dynamic_cast<const crdex::test::SqliteBackend&>(backend);
  auto db = crdex::fhir::SqliteDatabase::open(sqlite.dir().path() / "audit.sqlite", "", {.name = "check"});
  BOOST_TEST_REQUIRE(db.ok());
  std::pair<std::string, std::string> out;
  crdex::fhir::SqliteStatement d(**db, table(duplicates, "audit_terms"));
  if (d.step() == crdex::fhir::SqliteStep::row) out.first = d.text(0);
  crdex::fhir::SqliteStatement t(**db, table(terms, "audit_terms"));
  if (t.step() == crdex::fhir::SqliteStep::row) out.second = t.text(0);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_audit_replicas)

CRDEX_STORE_CASE(feedback_is_stored_once_and_summarised_per_rule_across_a_purge) {
  auto log = open_replica_log(backend);
  auto feedback = open_replica_feedback(backend);
  const std::string card = "6f1c2a9e-4b7d-4c1e-9a0b-2d3e4f5a6b7c";
  const std::string other = "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D";  // upper case: the same key
  const std::string unknown = "ffffffff-ffff-4fff-8fff-ffffffffffff";
  const int64_t now = crdex::hooks::now_epoch_ms();
  BOOST_TEST((log->record(replica_call("hi-old", now - 10'000,
                                       {{card, "ServiceRequest/1", "mammo-pa", 2, "coverage-info", "a/b"},
                                        {"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "ServiceRequest/2",
                                         "Zeta-rule", 2, "guideline", ""}}))));
  log->close();
  const std::vector<CardFeedback> items{accepted(card, "2026-11-22T03:04:05Z"),
                                        overridden(card, "2026-11-22T03:05:00Z", "already-done"),
                                        overridden(card, "2026-11-22T03:05:30Z", "already-done"),
                                        overridden(card, "2026-11-22T03:06:00Z"),
                                        overridden(other, "2026-11-22T03:07:00Z", "B-reason"),
                                        overridden(other, "2026-11-22T03:07:01Z", "a-reason"),
                                        overridden(unknown, "2026-11-22T03:08:00Z")};
  BOOST_TEST(feedback->add("crdex-order-sign", items).value() == 7);
  BOOST_TEST(feedback->add("crdex-order-sign", items).value() == 0);  // the same again: stored once

  auto check = [&](const std::vector<crdex::hooks::RuleFeedback>& rows) {
    BOOST_TEST_REQUIRE(rows.size() == 3u);
    // Byte order: "Zeta-rule" before "mammo-pa"; reasons "B-reason" before "a-reason".
    BOOST_TEST(rows[0].payer_id == "acme-health-plan");
    BOOST_TEST(rows[0].rule_id == "Zeta-rule");
    BOOST_TEST(rows[0].card_type == "guideline");
    BOOST_TEST(rows[0].rule_set_version == 2);
    BOOST_TEST(rows[0].overridden == 2);
    BOOST_TEST_REQUIRE(rows[0].override_reasons.size() == 2u);
    BOOST_TEST(rows[0].override_reasons[0].code == "B-reason");
    BOOST_TEST(rows[0].override_reasons[1].code == "a-reason");
    BOOST_TEST(rows[1].rule_id == "mammo-pa");
    BOOST_TEST(rows[1].card_type == "coverage-info");
    BOOST_TEST(rows[1].accepted == 1);
    BOOST_TEST(rows[1].overridden == 3);
    BOOST_TEST_REQUIRE(rows[1].override_reasons.size() == 2u);
    BOOST_TEST(rows[1].override_reasons[0].code.empty());  // without a reason first
    BOOST_TEST(rows[1].override_reasons[0].count == 1);
    BOOST_TEST(rows[1].override_reasons[1].system == "http://example.org/why");
    BOOST_TEST(rows[1].override_reasons[1].code == "already-done");
    BOOST_TEST(rows[1].override_reasons[1].count == 2);
    BOOST_TEST(rows[2].payer_id.empty());  // a card crdex does not know: last
    BOOST_TEST(rows[2].rule_id.empty());
    BOOST_TEST(rows[2].overridden == 1);
  };
  check(feedback->summary("").value());
  BOOST_TEST(feedback->summary("acme-health-plan").value().size() == 2u);
  BOOST_TEST(feedback->summary("bluestone-health").value().empty());
  // The calls go; the feedback keeps its rule.
  BOOST_TEST(log->store().purge_before(now).value() == 1);
  BOOST_TEST(log->store().find({}).value().empty());
  check(feedback->summary("").value());
}

CRDEX_STORE_CASE(two_replicas_see_each_others_calls_and_share_new_terms_once) {
  auto replica_a = open_replica_log(backend);
  auto replica_b = open_replica_log(backend);
  auto feedback_b = open_replica_feedback(backend);
  const int64_t t0 = crdex::hooks::now_epoch_ms();
  // Both replicas meet the same new rules and card types at once.
  std::vector<std::string> cards_a, cards_b;
  auto traffic = [&](crdex::hooks::AuditLog& log, const std::string& name, std::vector<std::string>& cards) {
    for (int i = 0; i < 40; ++i) {
      const std::string card = crdex::fhir::random_uuid();
      cards.push_back(card);
      const std::string rule = "shared-rule-" + std::to_string(i % 10);
      BOOST_TEST(log.record(replica_call(name + "-" + std::to_string(i), t0 + i,
                                         {{card, "ServiceRequest/" + std::to_string(i), rule, 3,
                                           i % 2 ? "coverage-info" : "guideline", "covered/no-auth"}})));
    }
  };
  std::thread a([&] { traffic(*replica_a, "a", cards_a); });
  std::thread b([&] { traffic(*replica_b, "b", cards_b); });
  a.join();
  b.join();
  replica_a->close();
  replica_b->close();
  BOOST_TEST(replica_a->stats().written == 40u);
  BOOST_TEST(replica_b->stats().written == 40u);
  BOOST_TEST(replica_a->stats().failed + replica_b->stats().failed == 0u);

  // Each replica's admin API reads both replicas' calls.
  for (auto* log : {replica_a.get(), replica_b.get()}) {
    AuditQuery all;
    all.limit = 500;
    const auto entries = log->store().find(all).value();
    BOOST_TEST(entries.size() == 80u);
    AuditQuery one;
    one.hook_instance = "a-7";
    BOOST_TEST(log->store().find(one).value().size() == 1u);
    one.hook_instance = "b-39";
    BOOST_TEST(log->store().find(one).value().size() == 1u);
  }
  // Ten rules, two card types and one decision: thirteen terms, each once.
  const auto [duplicates, terms] = term_counts(backend);
  BOOST_TEST(duplicates == "0");
  BOOST_TEST(terms == "13");

  // Feedback posted through replica B on cards replica A answered with.
  std::vector<CardFeedback> items;
  for (int i = 0; i < 10; ++i) items.push_back(overridden(cards_a[static_cast<size_t>(i)], "2026-11-22T03:04:05Z"));
  items.push_back(accepted(cards_b[0], "2026-11-22T03:04:06Z"));
  BOOST_TEST(feedback_b->add("crdex-order-sign", items).value() == 11);
  auto feedback_a = open_replica_feedback(backend);
  const auto rows = feedback_a->summary("acme-health-plan").value();
  BOOST_TEST_REQUIRE(rows.size() == 10u);  // shared-rule-0..9, one card type each (B's card: rule 0 too)
  int64_t accepted_total = 0, overridden_total = 0;
  for (const auto& row : rows) {
    BOOST_TEST(row.rule_id.rfind("shared-rule-", 0) == 0u);
    BOOST_TEST(row.rule_set_version == 3);
    accepted_total += row.accepted;
    overridden_total += row.overridden;
  }
  BOOST_TEST(accepted_total == 1);
  BOOST_TEST(overridden_total == 10);
}

BOOST_AUTO_TEST_SUITE_END()
