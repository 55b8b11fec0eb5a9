// The audit store on both back ends: every field of a call read back (full
// and compact records, card origins), every filter the admin API offers
// (hookInstance, patient, payer, request id, time window, pages), the
// payer's last answered calls, purges oldest first with the size measure
// following them, the AuditLog's writer thread over a store location, and
// its size bound (--audit-max-bytes), which keeps the newest calls.

#include <boost/test/unit_test.hpp>

#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/audit_store.hpp"
#include "crdex/hooks/timestamps.hpp"
#include "store/store_backends.hpp"

namespace {

using crdex::hooks::AuditQuery;
using crdex::hooks::AuditRecord;

constexpr int64_t kAuditT0 = 1'795'000'000'000;
constexpr const char* kAuditCard = "6f1c2a9e-4b7d-4c1e-9a0b-2d3e4f5a6b7c";

AuditRecord audit_call(const std::string& hook_instance, const std::string& patient, int64_t at_ms,
                       const std::string& payer = "acme-health-plan") {
  AuditRecord record;
  record.service_id = "crdex-order-sign";
  record.received_ms = at_ms;
  record.duration_us = 1234;
  record.status = 200;
  record.request_body = R"({"hook":"order-sign","hookInstance":")" + hook_instance +
                        R"(","fhirAuthorization":{"access_token":"secret-token-never-stored"},)" +
                        R"("context":{"userId":"Practitioner/1","patientId":")" + patient + R"("}})";
  record.response_body = R"({"cards":[],"systemActions":[]})";
  record.payer_id = payer;
  return record;
}

std::unique_ptr<crdex::hooks::AuditStore> open_audit_for_test(const crdex::test::StoreBackend& backend) {
  auto store = crdex::hooks::open_audit_store(backend.location());
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().message));
  return std::move(store).value();
}

std::vector<std::string> instances_of(const std::vector<crdex::hooks::AuditEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.hook_instance);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_audit)

CRDEX_STORE_CASE(a_full_and_a_compact_call_read_back_with_every_field) {
  auto store = open_audit_for_test(backend);
  auto full = audit_call("hi-full", "p-1", kAuditT0 + 5);
  full.request_id = "req-full";
  full.status = 200;
  full.cards = {{kAuditCard, "ServiceRequest/1", "mammo-pa", 7, "coverage-info", "conditional/auth-needed"}};
  auto compact = audit_call("hi-compact", "p-2", kAuditT0 + 1006, "bluestone-health");
  compact.request_id = "req-compact";
  compact.status = 400;
  compact.keep_bodies = false;  // hashed by the store itself
  const std::string compact_request = compact.request_body;
  const std::string compact_response = compact.response_body;
  auto refused = audit_call("", "", kAuditT0 + 2000, "");
  refused.request_body = "not json";
  refused.response_body = R"({"resourceType":"OperationOutcome"})";
  refused.status = 400;
  BOOST_TEST_REQUIRE(store->write({full, compact, refused}).value() == 3u);

  const auto all = store->find({}).value();
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].id < all[1].id);
  BOOST_TEST(all[1].id < all[2].id);
  BOOST_TEST(all[0].recorded_at == crdex::hooks::format_rfc3339_ms(kAuditT0 + 5));
  BOOST_TEST(all[0].service_id == "crdex-order-sign");
  BOOST_TEST(all[0].hook == "order-sign");
  BOOST_TEST(all[0].hook_instance == "hi-full");
  BOOST_TEST(all[0].patient_id == "p-1");
  BOOST_TEST(all[0].payer_id == "acme-health-plan");
  BOOST_TEST(all[0].status == 200);
  BOOST_TEST(all[0].duration_us == 1234);
  BOOST_TEST(all[0].request.find("secret-token-never-stored") == std::string::npos);
  BOOST_TEST(all[0].request.find(R"("hookInstance":"hi-full")") != std::string::npos);
  BOOST_TEST(all[0].response == R"({"cards":[],"systemActions":[]})");
  BOOST_TEST(all[0].request_id == "req-full");

  const std::string expected = R"({"bodiesKept":false,"request":{"sha256":")" +
                               crdex::config::sha256_checksum(compact_request).substr(7) + R"(","bytes":)" +
                               std::to_string(compact_request.size()) + R"(},"response":{"sha256":")" +
                               crdex::config::sha256_checksum(compact_response).substr(7) + R"(","bytes":)" +
                               std::to_string(compact_response.size()) + "}}";
  BOOST_TEST(all[1].response == expected);
  BOOST_TEST(all[1].request.empty());
  BOOST_TEST(all[1].hook_instance == "hi-compact");
  BOOST_TEST(all[1].patient_id == "p-2");
  BOOST_TEST(all[1].payer_id == "bluestone-health");
  BOOST_TEST(all[1].status == 400);
  BOOST_TEST(all[1].request_id == "req-compact");

  // A body that is not a JSON object is not kept; the answer is.
  BOOST_TEST(all[2].request.empty());
  BOOST_TEST(all[2].hook.empty());
  BOOST_TEST(all[2].payer_id.empty());
  BOOST_TEST(all[2].response == R"({"resourceType":"OperationOutcome"})");
  BOOST_TEST(all[2].request_id.empty());
}

CRDEX_STORE_CASE(every_admin_filter_and_page_gives_the_same_calls) {
  auto store = open_audit_for_test(backend);
  std::vector<AuditRecord> batch;
  for (int i = 0; i < 8; ++i) {
    auto record = audit_call("hi-" + std::to_string(i), i % 2 ? "odd" : "even", kAuditT0 + i * 1000,
                             i < 6 ? "acme-health-plan" : "bluestone-health");
    record.request_id = "rid-" + std::to_string(i % 3);
    if (i == 5) record.keep_bodies = false;
    if (i == 3) record.status = 500;
    batch.push_back(std::move(record));
  }
  BOOST_TEST_REQUIRE(store->write(batch).ok());

  AuditQuery q;
  q.hook_instance = "hi-3";
  BOOST_TEST(instances_of(store->find(q).value()) == std::vector<std::string>{"hi-3"});
  q = {};
  q.patient_id = "even";
  BOOST_TEST(instances_of(store->find(q).value()) == (std::vector<std::string>{"hi-0", "hi-2", "hi-4", "hi-6"}));
  q = {};
  q.payer_id = "bluestone-health";
  BOOST_TEST(instances_of(store->find(q).value()) == (std::vector<std::string>{"hi-6", "hi-7"}));
  q = {};
  q.request_id = "rid-1";
  BOOST_TEST(instances_of(store->find(q).value()) == (std::vector<std::string>{"hi-1", "hi-4", "hi-7"}));
  q = {};
  q.patient_id = "odd";
  q.payer_id = "acme-health-plan";
  q.request_id = "rid-0";
  BOOST_TEST(instances_of(store->find(q).value()) == std::vector<std::string>{"hi-3"});
  q = {};  // [t0+2s, t0+6s), two a page
  q.from_ms = kAuditT0 + 2000;
  q.to_ms = kAuditT0 + 6000;
  q.limit = 2;
  auto page = store->find(q).value();
  BOOST_TEST(instances_of(page) == (std::vector<std::string>{"hi-2", "hi-3"}));
  q.after_id = page.back().id;
  page = store->find(q).value();
  BOOST_TEST(instances_of(page) == (std::vector<std::string>{"hi-4", "hi-5"}));
  q.after_id = page.back().id;
  BOOST_TEST(store->find(q).value().empty());
  q = {};
  q.limit = 0;
  BOOST_TEST(store->find(q).value().empty());

  // The recorded dry run's calls: answered (200), request kept, newest first.
  const auto answered = store->last_answered("acme-health-plan", 3).value();
  BOOST_TEST(instances_of(answered) == (std::vector<std::string>{"hi-4", "hi-2", "hi-1"}));
  BOOST_TEST(answered[0].request.find("\"hookInstance\":\"hi-4\"") != std::string::npos);
  BOOST_TEST(store->last_answered("nobody", 3).value().empty());
}

CRDEX_STORE_CASE(purges_remove_the_oldest_calls_and_the_size_follows) {
  auto store = open_audit_for_test(backend);
  std::vector<AuditRecord> batch;
  for (int i = 0; i < 20; ++i) {
    auto record = audit_call("hi-" + std::to_string(i), "p", kAuditT0 + i * 1000);
    record.response_body = R"({"cards":[],"note":")" + std::string(2000, 'x') + R"("})";
    record.cards = {{crdex::fhir::random_uuid(), "ServiceRequest/1", "mammo-pa", 1, "coverage-info", ""}};
    batch.push_back(std::move(record));
  }
  BOOST_TEST_REQUIRE(store->write(batch).ok());
  BOOST_TEST(store->call_count().value() == 20);
  const uint64_t before = store->used_bytes().value();
  BOOST_TEST(before > 0u);

  BOOST_TEST(store->purge_oldest(5).value() == 5);
  BOOST_TEST(store->call_count().value() == 15);
  BOOST_TEST(store->purge_before(kAuditT0 + 10'000).value() == 5);
  AuditQuery all;
  all.limit = 100;
  const auto left = store->find(all).value();
  BOOST_TEST_REQUIRE(left.size() == 10u);
  BOOST_TEST(left.front().hook_instance == "hi-10");
  BOOST_TEST(left.back().hook_instance == "hi-19");
  BOOST_TEST(store->purge_oldest(100).value() == 10);
  BOOST_TEST(store->call_count().value() == 0);
  BOOST_TEST(store->used_bytes().value() < before);
  BOOST_TEST(store->purge_oldest(1).value() == 0);
}

CRDEX_STORE_CASE(the_audit_log_writes_through_its_writer_thread_at_a_store_location) {
  auto log = crdex::hooks::open_audit_log(backend.location());
  BOOST_TEST_REQUIRE(log.ok(), (log.ok() ? "" : log.error().message));
  for (int i = 0; i < 50; ++i) {
    auto record = audit_call("hi-" + std::to_string(i), "p", kAuditT0 + i);
    if (i % 2 == 1) crdex::hooks::make_compact(record);  // as the request thread does without --audit-bodies
    BOOST_TEST((*log)->admit());
    BOOST_TEST((*log)->record(std::move(record)));
  }
  (*log)->close();
  const auto stats = (*log)->stats();
  BOOST_TEST(stats.written == 50u);
  BOOST_TEST(stats.dropped == 0u);
  BOOST_TEST(stats.failed == 0u);
  BOOST_TEST(stats.queued == 0u);
  AuditQuery all;
  all.limit = 100;
  const auto entries = (*log)->store().find(all).value();
  BOOST_TEST_REQUIRE(entries.size() == 50u);
  BOOST_TEST(entries[0].hook_instance == "hi-0");
  BOOST_TEST(entries[49].hook_instance == "hi-49");
  BOOST_TEST(entries[1].response.find("\"bodiesKept\":false") != std::string::npos);
  BOOST_TEST(entries[2].response == R"({"cards":[],"systemActions":[]})");
}

CRDEX_STORE_CASE(a_size_bound_keeps_the_newest_calls_without_emptying_the_log) {
  crdex::hooks::AuditOptions options;
  options.max_bytes = 256 * 1024;
  // Bodies of random text (PostgreSQL compresses them little), about 4.5 KB a call.
  std::string noise;
  for (int i = 0; i < 120; ++i) noise += crdex::fhir::random_uuid();
  for (auto& c : noise)
    c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[static_cast<unsigned char>(c) * 7 % 64];
  // Ten runs of 50 calls (about 2.2 MB without the bound).
  for (int run = 0; run < 10; ++run) {
    auto log = crdex::hooks::open_audit_log(backend.location(), options);
    BOOST_TEST_REQUIRE(log.ok(), (log.ok() ? "" : log.error().message));
    for (int i = 0; i < 50; ++i) {
      auto record = audit_call("hi-" + std::to_string(run * 50 + i), "p", kAuditT0 + run * 50 + i);
      record.response_body = R"({"cards":[],"note":")" + noise.substr(static_cast<size_t>(i), 4000) + R"("})";
      BOOST_TEST((*log)->record(std::move(record)));
    }
    (*log)->close();  // writes the 50; the size is checked after each batch
    BOOST_TEST((*log)->stats().written == 50u);
    BOOST_TEST((*log)->store().used_bytes().value() <= options.max_bytes);
    if (run == 9) BOOST_TEST((*log)->stats().purged_for_size > 0u);
  }
  auto store = open_audit_for_test(backend);
  AuditQuery all;
  all.limit = 1000;
  const auto left = store->find(all).value();
  BOOST_TEST_REQUIRE(left.size() >= 20u);   // not emptied: about 90 % of the bound stays
  BOOST_TEST(left.size() < 100u);           // what 256 KB holds of 4.5 KB calls
  BOOST_TEST(left.back().hook_instance == "hi-499");  // the newest stays
  for (size_t i = 0; i < left.size(); ++i)  // the newest calls, without a gap
    BOOST_TEST(left[i].hook_instance == "hi-" + std::to_string(500 - left.size() + i));
}

BOOST_AUTO_TEST_SUITE_END()
