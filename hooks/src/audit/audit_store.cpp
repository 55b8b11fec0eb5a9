#include "crdex/hooks/audit_store.hpp"

#include <algorithm>

#include "audit_database.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/hooks/timestamps.hpp"

namespace crdex::hooks {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

constexpr const char* kEntryColumns =
    "id, recorded_ms, service, hook, hook_instance, patient, payer, status, duration_us, request, response, "
    "request_id, request_sha256, request_bytes, response_sha256, response_bytes";

std::string hex_of(const std::string& bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (const char c : bytes) {
    out += hex[static_cast<unsigned char>(c) >> 4];
    out += hex[static_cast<unsigned char>(c) & 0x0f];
  }
  return out;
}

// A compact record's response as the admin API has always shown it:
// {"bodiesKept":false,"request":{"sha256","bytes"},"response":{...}}.
std::string compact_response(const SqliteStatement& s) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "bodiesKept");
  w.Bool(false);
  for (const auto& [name, hash, bytes] : {std::tuple{"request", 12, 13}, std::tuple{"response", 14, 15}}) {
    fhir::write_key(w, name);
    w.StartObject();
    fhir::write_key(w, "sha256");
    fhir::write_string(w, hex_of(s.blob(hash)));
    fhir::write_key(w, "bytes");
    w.Int64(s.integer(bytes));
    w.EndObject();
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

AuditEntry read_entry(const SqliteStatement& s) {
  // Compact records of this release keep no response text; earlier ones kept the JSON above.
  std::string response = s.is_null(10) && !s.is_null(12) ? compact_response(s) : s.text(10);
  return {s.integer(0), format_rfc3339_ms(s.integer(1)), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
          static_cast<int>(s.integer(7)), s.integer(8), s.text(9), std::move(response), s.text(11)};
}

// A card uuid as stored: its 16 bytes, or the text when it is not a UUID.
std::string card_key(const std::string& uuid) {
  auto bytes = fhir::uuid_bytes(uuid);
  return bytes ? std::move(*bytes) : uuid;
}

}  // namespace

fhir::Result<std::unique_ptr<AuditStore>> AuditStore::open(const std::filesystem::path& file) {
  auto db = detail::open_audit_database(file);
  if (!db) return db.error();
  return std::unique_ptr<AuditStore>(new AuditStore(std::move(db).value()));
}

AuditStore::~AuditStore() = default;

int64_t AuditStore::term_id(const std::string& term, std::map<std::string, int64_t>& added) {
  if (auto known = terms_.find(term); known != terms_.end()) return known->second;
  if (auto pending = added.find(term); pending != added.end()) return pending->second;
  SqliteStatement insert(*db_, "INSERT OR IGNORE INTO audit_terms (term) VALUES (?)");
  SqliteStatement select(*db_, "SELECT id FROM audit_terms WHERE term = ?");
  if (!insert.bind(1, term).run() || select.bind(1, term).step() != SqliteStep::row) return 0;
  const int64_t id = select.integer(0);
  added.emplace(term, id);
  return id;
}

fhir::Result<size_t> AuditStore::write(const std::vector<AuditRecord>& batch) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin a write");
  SqliteStatement call(*db_,
                       "INSERT INTO invocations (recorded_ms, service, hook, hook_instance, patient, payer, status, "
                       "duration_us, request_id, request_sha256, request_bytes, response_sha256, response_bytes, "
                       "request, response) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  SqliteStatement card(*db_,
                       "INSERT OR IGNORE INTO card_origins (invocation_id, card_uuid, rule_set_version, rule_term, "
                       "card_type_term, decision_term, order_ref) VALUES (?,?,?,?,?,?,?)");
  if (!call.ok() || !card.ok()) return db_->error("cannot prepare a write");
  std::map<std::string, int64_t> added_terms;
  for (const auto& queued : batch) {
    // A compact record is normally hashed by the request thread; one that
    // was not (a caller of the store itself) is hashed here.
    const AuditRecord* record = &queued;
    AuditRecord hashed;
    if (!queued.keep_bodies && !queued.hashed) {
      hashed = queued;
      make_compact(hashed);
      record = &hashed;
    }
    // Parsed again only when the body is kept (it is stored redacted) or
    // nobody read the searchable fields yet.
    RedactedRequest request;
    if (record->keep_bodies)
      request = redact_request(record->request_body);
    if (!record->keep_bodies || record->fields_read) {
      request.hook = record->hook;
      request.hook_instance = record->hook_instance;
      request.patient_id = record->patient_id;
    }
    call.bind(1, record->received_ms)
        .bind(2, record->service_id)
        .bind_or_null(3, request.hook)
        .bind_or_null(4, request.hook_instance)
        .bind_or_null(5, request.patient_id)
        .bind_or_null(6, record->payer_id)
        .bind(7, int64_t{record->status})
        .bind(8, record->duration_us)
        .bind_or_null(9, record->request_id);
    if (!record->keep_bodies) {
      call.bind_blob_or_null(10, record->request_sha256)
          .bind(11, record->request_bytes)
          .bind_blob_or_null(12, record->response_sha256)
          .bind(13, record->response_bytes);
    } else {
      call.bind_or_null(14, request.json).bind(15, record->response_body);
    }
    if (call.step() != SqliteStep::done) return db_->error("cannot store a call");
    call.reset();
    const int64_t id = db_->last_insert_rowid();
    for (const auto& origin : record->cards) {
      const int64_t rule = term_id(origin.rule_id, added_terms);
      const int64_t type = term_id(origin.card_type, added_terms);
      const int64_t decision = origin.decision.empty() ? 0 : term_id(origin.decision, added_terms);
      if (rule == 0 || type == 0 || (!origin.decision.empty() && decision == 0))
        return db_->error("cannot store a card origin's terms");
      card.bind(1, id)
          .bind_blob_or_null(2, card_key(origin.card_uuid))
          .bind(3, int64_t{origin.rule_set_version})
          .bind(4, rule)
          .bind(5, type)
          .bind(7, origin.order);
      if (decision != 0) card.bind(6, decision);
      if (card.step() != SqliteStep::done) return db_->error("cannot store a card origin");
      card.reset();
    }
  }
  if (!transaction.commit()) return db_->error("cannot commit a write");
  terms_.merge(added_terms);
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
                       "UPDATE feedback SET payer = i.payer, rule_set_version = o.rule_set_version, "
                       "rule_id = r.term, card_type = t.term "
                       "FROM card_origins o JOIN invocations i ON i.id = o.invocation_id "
                       "JOIN audit_terms r ON r.id = o.rule_term JOIN audit_terms t ON t.id = o.card_type_term "
                       "WHERE o.card_uuid = uuid_key(feedback.card_uuid) AND feedback.payer IS NULL AND i." +
                           column + " < ?");
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
