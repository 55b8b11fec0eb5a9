#include <algorithm>
#include <memory>
#include <mutex>

#include "audit_database.hpp"
#include "crdex/fhir/sqlite_database.hpp"
#include "crdex/hooks/audit_store.hpp"

namespace crdex::hooks {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

constexpr const char* kSqliteCallColumns =
    "id, recorded_ms, service, hook, hook_instance, patient, payer, status, duration_us, request, response, "
    "request_id, request_sha256, request_bytes, response_sha256, response_bytes";

class SqliteAuditStore final : public AuditStore {
 public:
  explicit SqliteAuditStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}

  fhir::Result<int64_t> purge_before(int64_t cutoff_ms) override { return purge_below("recorded_ms", cutoff_ms); }

  fhir::Result<uint64_t> used_bytes() override {
    auto pages = single_integer("PRAGMA page_count");
    if (!pages) return pages.error();
    auto free_pages = single_integer("PRAGMA freelist_count");
    if (!free_pages) return free_pages.error();
    auto page_size = single_integer("PRAGMA page_size");
    if (!page_size) return page_size.error();
    return static_cast<uint64_t>(std::max<int64_t>(0, *pages - *free_pages)) * static_cast<uint64_t>(*page_size);
  }

  fhir::Result<int64_t> purge_oldest(int64_t count) override {
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

  fhir::Result<int64_t> call_count() override {
    return single_integer("SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM invocations");
  }

 protected:
  fhir::Result<bool> store_calls(const std::vector<CallRow>& calls) override {
    std::lock_guard lock(mutex_);
    SqliteTransaction transaction(*db_);
    if (!transaction.begun()) return db_->error("cannot begin a write");
    // Prepared once and kept: the writer calls this for every batch, and a
    // batch under steady traffic holds a few dozen calls.
    if (!insert_call_)
      insert_call_ = std::make_unique<SqliteStatement>(
          *db_,
          "INSERT INTO invocations (recorded_ms, service, hook, hook_instance, patient, payer, status, "
          "duration_us, request_id, request_sha256, request_bytes, response_sha256, response_bytes, "
          "request, response) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!insert_card_)
      insert_card_ = std::make_unique<SqliteStatement>(
          *db_,
          "INSERT OR IGNORE INTO card_origins (invocation_id, card_uuid, rule_set_version, rule_term, "
          "card_type_term, decision_term, order_ref) VALUES (?,?,?,?,?,?,?)");
    if (!insert_call_->ok() || !insert_card_->ok()) {
      insert_call_.reset();
      insert_card_.reset();
      return db_->error("cannot prepare a write");
    }
    SqliteStatement& call = *insert_call_;
    SqliteStatement& card = *insert_card_;
    // A write that failed half-way left its statement mid-step: start clean.
    call.reset();
    card.reset();
    for (const auto& row : calls) {
      call.bind(1, row.recorded_ms)
          .bind(2, row.service)
          .bind_or_null(3, row.hook)
          .bind_or_null(4, row.hook_instance)
          .bind_or_null(5, row.patient)
          .bind_or_null(6, row.payer)
          .bind(7, row.status)
          .bind(8, row.duration_us)
          .bind_or_null(9, row.request_id);
      if (row.compact) {
        call.bind_blob_or_null(10, row.request_sha256)
            .bind(11, row.request_bytes)
            .bind_blob_or_null(12, row.response_sha256)
            .bind(13, row.response_bytes);
      } else {
        if (row.request) call.bind(14, *row.request);
        call.bind(15, row.response.value_or(""));
      }
      if (call.step() != SqliteStep::done) return db_->error("cannot store a call");
      call.reset();
      const int64_t id = db_->last_insert_rowid();
      for (const auto& origin : row.cards) {
        card.bind(1, id)
            .bind_blob_or_null(2, origin.card_key)
            .bind(3, origin.rule_set_version)
            .bind(4, origin.rule_term)
            .bind(5, origin.card_type_term)
            .bind(7, origin.order_ref);
        if (origin.decision_term != 0) card.bind(6, origin.decision_term);
        if (card.step() != SqliteStep::done) return db_->error("cannot store a card origin");
        card.reset();
      }
    }
    if (!transaction.commit()) return db_->error("cannot commit a write");
    return true;
  }

  fhir::Result<std::map<std::string, int64_t>> term_ids(const std::vector<std::string>& terms) override {
    std::lock_guard lock(mutex_);
    SqliteTransaction transaction(*db_);
    if (!transaction.begun()) return db_->error("cannot begin adding terms");
    SqliteStatement insert(*db_, "INSERT OR IGNORE INTO audit_terms (term) VALUES (?)");
    SqliteStatement select(*db_, "SELECT id FROM audit_terms WHERE term = ?");
    if (!insert.ok() || !select.ok()) return db_->error("cannot prepare adding terms");
    std::map<std::string, int64_t> out;
    for (const auto& term : terms) {
      if (!insert.bind(1, term).run() || select.bind(1, term).step() != SqliteStep::row)
        return db_->error("cannot store a card origin's terms");
      out.emplace(term, select.integer(0));
      insert.reset();
      select.reset();
    }
    if (!transaction.commit()) return db_->error("cannot commit terms");
    return out;
  }

  fhir::Result<std::vector<CallRow>> find_calls(const AuditQuery& query) override {
    // Only the filters given go into the statement, so SQLite can use the
    // index of each (an "?1 IS NULL OR ..." form would scan the table).
    std::string sql = std::string("SELECT ") + kSqliteCallColumns + " FROM invocations WHERE id > ?";
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
    std::vector<CallRow> out;
    if (!s.each_row([&](const SqliteStatement& row) { out.push_back(read_call(row)); }))
      return db_->error("cannot search");
    return out;
  }

  fhir::Result<std::vector<CallRow>> last_answered_calls(const std::string& payer_id, int count) override {
    std::lock_guard lock(mutex_);
    const std::string sql = std::string("SELECT ") + kSqliteCallColumns +
                            " FROM invocations WHERE payer = ? AND status = 200 AND request IS NOT NULL"
                            " ORDER BY id DESC LIMIT ?";
    SqliteStatement s(*db_, sql);
    if (!s.ok()) return db_->error("cannot read recorded calls");
    s.bind(1, payer_id).bind(2, int64_t{count});
    std::vector<CallRow> out;
    if (!s.each_row([&](const SqliteStatement& row) { out.push_back(read_call(row)); }))
      return db_->error("cannot read recorded calls");
    return out;
  }

 private:
  static CallRow read_call(const SqliteStatement& s) {
    CallRow row;
    row.id = s.integer(0);
    row.recorded_ms = s.integer(1);
    row.service = s.text(2);
    row.hook = s.text(3);
    row.hook_instance = s.text(4);
    row.patient = s.text(5);
    row.payer = s.text(6);
    row.status = s.integer(7);
    row.duration_us = s.integer(8);
    if (!s.is_null(9)) row.request = s.text(9);
    if (!s.is_null(10)) row.response = s.text(10);
    row.request_id = s.text(11);
    row.compact = !s.is_null(12);
    row.request_sha256 = s.blob(12);
    row.request_bytes = s.integer(13);
    row.response_sha256 = s.blob(14);
    row.response_bytes = s.integer(15);
    return row;
  }

  // Removes the calls whose `column` ("recorded_ms" or "id") is below `value`.
  fhir::Result<int64_t> purge_below(const std::string& column, int64_t value) {
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

  fhir::Result<int64_t> single_integer(const char* sql) {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, sql);
    if (!s.ok() || s.step() != SqliteStep::row) return db_->error("cannot read the audit database's size");
    return s.integer(0);
  }

  std::mutex mutex_;  // one statement sequence at a time on this connection
  std::unique_ptr<fhir::SqliteDatabase> db_;
  // store_calls' statements, kept across batches (under mutex_). Declared
  // after db_: finalized before the connection closes.
  std::unique_ptr<SqliteStatement> insert_call_, insert_card_;
};

}  // namespace

fhir::Result<std::unique_ptr<AuditStore>> AuditStore::open(const std::filesystem::path& file) {
  auto db = detail::open_audit_database(file);
  if (!db) return db.error();
  return std::unique_ptr<AuditStore>(new SqliteAuditStore(std::move(db).value()));
}

}  // namespace crdex::hooks
