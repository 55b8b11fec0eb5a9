#include "crdex/hooks/audit_store.hpp"

#include <algorithm>

#include "audit_database.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/hooks/timestamps.hpp"

namespace crdex::hooks {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

constexpr const char* kEntryColumns =
    "id, recorded_at, service, hook, hook_instance, patient, payer, status, duration_us, request, response, "
    "request_id";

AuditEntry read_entry(const SqliteStatement& s) {
  return {s.integer(0), s.text(1),  s.text(2),  s.text(3),  s.text(4),  s.text(5),
          s.text(6),    static_cast<int>(s.integer(7)), s.integer(8), s.text(9), s.text(10), s.text(11)};
}

}  // namespace

fhir::Result<std::unique_ptr<AuditStore>> AuditStore::open(const std::filesystem::path& file) {
  auto db = detail::open_audit_database(file);
  if (!db) return db.error();
  return std::unique_ptr<AuditStore>(new AuditStore(std::move(db).value()));
}

AuditStore::~AuditStore() = default;

fhir::Result<size_t> AuditStore::write(const std::vector<AuditRecord>& batch) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin a write");
  SqliteStatement call(*db_,
                       "INSERT INTO invocations (recorded_ms, recorded_at, service, hook, hook_instance, patient, "
                       "payer, status, duration_us, request, response, request_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  SqliteStatement card(*db_,
                       "INSERT OR IGNORE INTO card_origins (card_uuid, invocation_id, payer, rule_set_version, "
                       "rule_id, card_type, order_ref) VALUES (?,?,?,?,?,?,?)");
  if (!call.ok() || !card.ok()) return db_->error("cannot prepare a write");
  for (const auto& record : batch) {
    // Parsed again only when the body is kept (it is stored redacted) or the
    // engine did not get as far as reading the searchable fields.
    RedactedRequest request;
    if (record.keep_bodies || !record.fields_read)
      request = redact_request(record.request_body);
    else
      request = {{}, record.hook, record.hook_instance, record.patient_id};
    // Compact: the bodies' hashes and sizes instead of the bodies (PHI kept to the minimum).
    std::string compact;
    if (!record.keep_bodies)
      compact = R"({"bodiesKept":false,"request":{"sha256":")" +
                config::sha256_checksum(record.request_body).substr(7) + R"(","bytes":)" + std::to_string(record.request_body.size()) + R"(},"response":{"sha256":")" +
                config::sha256_checksum(record.response_body).substr(7) + R"(","bytes":)" +
                std::to_string(record.response_body.size()) + "}}";
    call.bind(1, record.received_ms)
        .bind(2, format_rfc3339_ms(record.received_ms))
        .bind(3, record.service_id)
        .bind_or_null(4, request.hook)
        .bind_or_null(5, request.hook_instance)
        .bind_or_null(6, request.patient_id)
        .bind_or_null(7, record.payer_id)
        .bind(8, int64_t{record.status})
        .bind(9, record.duration_us)
        .bind_or_null(10, record.keep_bodies ? request.json : std::string())
        .bind(11, record.keep_bodies ? record.response_body : compact)
        .bind_or_null(12, record.request_id);
    if (call.step() != SqliteStep::done) return db_->error("cannot store a call");
    call.reset();
    const int64_t id = db_->last_insert_rowid();
    for (const auto& origin : record.cards) {
      card.bind(1, origin.card_uuid)
          .bind(2, id)
          .bind(3, record.payer_id)
          .bind(4, int64_t{origin.rule_set_version})
          .bind(5, origin.rule_id)
          .bind(6, origin.card_type)
          .bind(7, origin.order);
      if (card.step() != SqliteStep::done) return db_->error("cannot store a card origin");
      card.reset();
    }
  }
  if (!transaction.commit()) return db_->error("cannot commit a write");
  return batch.size();
}

fhir::Result<std::vector<AuditEntry>> AuditStore::find(const AuditQuery& query) {
  // Only the filters given go into the statement, so SQLite can use the
  // index of each (an "?1 IS NULL OR ..." form would scan the table).
  std::string sql = std::string("SELECT ") + kEntryColumns + " FROM invocations WHERE id > ?";
  if (!query.hook_instance.empty()) sql += " AND hook_instance = ?";
  if (!query.patient_id.empty()) sql += " AND patient = ?";
  if (!query.payer_id.empty()) sql += " AND payer = ?";
  if (!query.request_id.empty()) sql += " AND request_id = ?";
  if (query.from_ms) sql += " AND recorded_ms >= ?";
  if (query.to_ms) sql += " AND recorded_ms < ?";
  sql += " ORDER BY id LIMIT ?";
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, sql);
  if (!s.ok()) return db_->error("cannot search");
  int index = 1;
  s.bind(index++, query.after_id);
  for (const auto* text : {&query.hook_instance, &query.patient_id, &query.payer_id, &query.request_id})
    if (!text->empty()) s.bind(index++, *text);
  if (query.from_ms) s.bind(index++, *query.from_ms);
  if (query.to_ms) s.bind(index++, *query.to_ms);
  s.bind(index, int64_t{query.limit});
  std::vector<AuditEntry> out;
  if (!s.each_row([&](const SqliteStatement& row) { out.push_back(read_entry(row)); }))
    return db_->error("cannot search");
  return out;
}

fhir::Result<std::vector<AuditEntry>> AuditStore::last_answered(const std::string& payer_id, int count) {
  std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kEntryColumns +
                          " FROM invocations WHERE payer = ? AND status = 200 AND request IS NOT NULL"
                          " ORDER BY id DESC LIMIT ?";
  SqliteStatement s(*db_, sql);
  if (!s.ok()) return db_->error("cannot read recorded calls");
  s.bind(1, payer_id).bind(2, int64_t{count});
  std::vector<AuditEntry> out;
  if (!s.each_row([&](const SqliteStatement& row) { out.push_back(read_entry(row)); }))
    return db_->error("cannot read recorded calls");
  return out;
}

fhir::Result<int64_t> AuditStore::purge_before(int64_t cutoff_ms) { return purge_below("recorded_ms", cutoff_ms); }

fhir::Result<int64_t> AuditStore::purge_below(const std::string& column, int64_t value) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin a purge");
  // Feedback outlives the calls: it takes its card's attribution with it.
  SqliteStatement keep(*db_,
                       "UPDATE feedback SET payer = o.payer, rule_set_version = o.rule_set_version, "
                       "rule_id = o.rule_id, card_type = o.card_type "
                       "FROM card_origins o JOIN invocations i ON i.id = o.invocation_id "
                       "WHERE o.card_uuid = feedback.card_uuid AND feedback.payer IS NULL AND i." + column + " < ?");
  SqliteStatement cards(*db_,
                        "DELETE FROM card_origins WHERE invocation_id IN "
                        "(SELECT id FROM invocations WHERE " + column + " < ?)");
  SqliteStatement calls(*db_, "DELETE FROM invocations WHERE " + column + " < ?");
  if (!keep.ok() || !cards.ok() || !calls.ok()) return db_->error("cannot prepare a purge");
  if (!keep.bind(1, value).run() || !cards.bind(1, value).run() || !calls.bind(1, value).run())
    return db_->error("cannot purge");
  const int64_t removed = db_->changes();
  if (!transaction.commit()) return db_->error("cannot commit a purge");
  return removed;
}

fhir::Result<int64_t> AuditStore::single_integer(const char* sql) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, sql);
  if (!s.ok() || s.step() != SqliteStep::row) return db_->error("cannot read the audit database's size");
  return s.integer(0);
}

fhir::Result<uint64_t> AuditStore::used_bytes() {
  auto pages = single_integer("PRAGMA page_count");
  if (!pages) return pages.error();
  auto free_pages = single_integer("PRAGMA freelist_count");
  if (!free_pages) return free_pages.error();
  auto page_size = single_integer("PRAGMA page_size");
  if (!page_size) return page_size.error();
  return static_cast<uint64_t>(std::max<int64_t>(0, *pages - *free_pages)) * static_cast<uint64_t>(*page_size);
}

fhir::Result<int64_t> AuditStore::call_count() {
  return single_integer("SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM invocations");
}

fhir::Result<int64_t> AuditStore::purge_oldest(int64_t count) {
  if (count <= 0) return int64_t{0};
  int64_t below = 0;
  {
    std::lock_guard lock(mutex_);
    // The id just past the oldest `count`; past the newest when there are fewer.
    SqliteStatement s(*db_, "SELECT COALESCE((SELECT id FROM invocations ORDER BY id LIMIT 1 OFFSET ?), "
                            "(SELECT MAX(id) + 1 FROM invocations), 0)");
    if (!s.ok() || s.bind(1, count).step() != SqliteStep::row) return db_->error("cannot find the oldest calls");
    below = s.integer(0);
  }
  return purge_below("id", below);
}

}  // namespace crdex::hooks
