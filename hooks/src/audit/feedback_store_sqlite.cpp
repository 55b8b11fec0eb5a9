#include <mutex>

#include "audit_database.hpp"
#include "crdex/fhir/sqlite_database.hpp"
#include "crdex/hooks/feedback_store.hpp"

namespace crdex::hooks {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

class SqliteFeedbackStore final : public FeedbackStore {
 public:
  explicit SqliteFeedbackStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}

 protected:
  fhir::Result<int64_t> insert_feedback(const std::vector<FeedbackRow>& rows) override {
    std::lock_guard lock(mutex_);
    SqliteTransaction transaction(*db_);
    if (!transaction.begun()) return db_->error("cannot begin storing feedback");
    SqliteStatement s(*db_,
                      "INSERT OR IGNORE INTO feedback (service, card_uuid, outcome, outcome_timestamp, "
                      "accepted_suggestions, override_system, override_code, override_display, user_comment, "
                      "received_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!s.ok()) return db_->error("cannot prepare storing feedback");
    int64_t added = 0;
    for (const auto& row : rows) {
      s.bind(1, row.service)
          .bind(2, row.card_uuid)
          .bind(3, row.outcome)
          .bind(4, row.outcome_timestamp)
          .bind(5, row.accepted_suggestions)
          .bind_or_null(6, row.override_system)
          .bind_or_null(7, row.override_code)
          .bind_or_null(8, row.override_display)
          .bind_or_null(9, row.user_comment)
          .bind(10, row.received_at);
      if (s.step() != SqliteStep::done) return db_->error("cannot store feedback");
      added += db_->changes();
      s.reset();
    }
    if (!transaction.commit()) return db_->error("cannot commit feedback");
    return added;
  }

  fhir::Result<std::vector<SummaryRow>> summary_rows(const std::string& payer_id) override {
    std::lock_guard lock(mutex_);
    // The attribution a purge copied into the feedback row, else the card's
    // recorded origin; NULL for unknown cards.
    SqliteStatement s(*db_,
                      "SELECT COALESCE(f.payer, i.payer), COALESCE(f.rule_set_version, o.rule_set_version), "
                      "COALESCE(f.rule_id, r.term), COALESCE(f.card_type, t.term), f.outcome, "
                      "COALESCE(f.override_system, ''), COALESCE(f.override_code, ''), COUNT(*) "
                      "FROM feedback f LEFT JOIN card_origins o ON o.card_uuid = uuid_key(f.card_uuid) "
                      "LEFT JOIN invocations i ON i.id = o.invocation_id "
                      "LEFT JOIN audit_terms r ON r.id = o.rule_term "
                      "LEFT JOIN audit_terms t ON t.id = o.card_type_term "
                      "WHERE (?1 IS NULL OR COALESCE(f.payer, i.payer) = ?1) "
                      "GROUP BY 1, 2, 3, 4, 5, 6, 7");
    if (!s.ok()) return db_->error("cannot summarise feedback");
    s.bind_or_null(1, payer_id);
    std::vector<SummaryRow> out;
    if (!s.each_row([&](const SqliteStatement& r) {
          out.push_back({r.text(0), r.integer(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6),
                         r.integer(7)});
        }))
      return db_->error("cannot summarise feedback");
    return out;
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace

fhir::Result<std::unique_ptr<FeedbackStore>> FeedbackStore::open(const std::filesystem::path& file) {
  auto db = detail::open_audit_database(file);
  if (!db) return db.error();
  return std::unique_ptr<FeedbackStore>(new SqliteFeedbackStore(std::move(db).value()));
}

}  // namespace crdex::hooks
