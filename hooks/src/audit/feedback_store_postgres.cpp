#include <algorithm>
#include <mutex>

#include "audit_store_backends.hpp"

namespace crdex::hooks {

namespace {

using fhir::PostgresParam;

PostgresParam text_or_null_param(const std::string& text) {
  return text.empty() ? PostgresParam{} : PostgresParam{text};
}

// Feedback every replica shares: multi-row INSERTs ... ON CONFLICT DO
// NOTHING in one transaction, so the same item posted to two replicas at once is stored once.
class PostgresFeedbackStore final : public FeedbackStore {
 public:
  explicit PostgresFeedbackStore(std::unique_ptr<fhir::PostgresConnection> db) : db_(std::move(db)) {}

 protected:
  fhir::Result<int64_t> insert_feedback(const std::vector<FeedbackRow>& rows) override {
    std::lock_guard lock(mutex_);
    fhir::PostgresTransaction transaction(*db_);
    if (!transaction.begun()) return db_->error("cannot begin storing feedback");
    int64_t added = 0;
    // At most 65535 parameters a statement: 11 a row.
    constexpr size_t kRowsPerStatement = 4000;
    for (size_t start = 0; start < rows.size(); start += kRowsPerStatement) {
      std::string sql =
          "INSERT INTO audit_feedback (service, card_uuid, card_key, outcome, outcome_timestamp, "
          "accepted_suggestions, override_system, override_code, override_display, user_comment, received_at) "
          "VALUES ";
      std::vector<PostgresParam> params;
      for (size_t i = start; i < std::min(rows.size(), start + kRowsPerStatement); ++i) {
        const FeedbackRow& row = rows[i];
        if (!params.empty()) sql += ',';
        sql += '(';
        for (int column = 0; column < 11; ++column) {
          if (column > 0) sql += ',';
          sql += '$' + std::to_string(params.size() + 1 + static_cast<size_t>(column));
          if (column == 2) sql += "::bytea";
        }
        sql += ')';
        params.insert(params.end(),
                      {row.service, row.card_uuid, detail::bytea_param(row.card_key), row.outcome,
                       row.outcome_timestamp, row.accepted_suggestions, text_or_null_param(row.override_system),
                       text_or_null_param(row.override_code), text_or_null_param(row.override_display),
                       text_or_null_param(row.user_comment), row.received_at});
      }
      sql += " ON CONFLICT DO NOTHING";
      auto stored = db_->query("cannot store feedback", sql.c_str(), params);
      if (!stored) return stored.error();
      added += stored->changed();
    }
    if (!transaction.commit()) return db_->error("cannot commit feedback");
    return added;
  }

  fhir::Result<std::vector<SummaryRow>> summary_rows(const std::string& payer_id) override {
    std::lock_guard lock(mutex_);
    // As on SQLite: the attribution a purge copied into the row, else the
    // card's recorded origin; NULL for unknown cards.
    auto counted = db_->query(
        "cannot summarise feedback",
        "SELECT COALESCE(f.payer, i.payer), COALESCE(f.rule_set_version, o.rule_set_version), "
        "COALESCE(f.rule_id, r.term), COALESCE(f.card_type, t.term), f.outcome, "
        "COALESCE(f.override_system, ''), COALESCE(f.override_code, ''), COUNT(*) "
        "FROM audit_feedback f LEFT JOIN audit_card_origins o ON o.card_uuid = f.card_key "
        "LEFT JOIN audit_invocations i ON i.id = o.invocation_id "
        "LEFT JOIN audit_terms r ON r.id = o.rule_term "
        "LEFT JOIN audit_terms t ON t.id = o.card_type_term "
        "WHERE ($1::text IS NULL OR COALESCE(f.payer, i.payer) = $1::text) "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7",
        {text_or_null_param(payer_id)});
    if (!counted) return counted.error();
    std::vector<SummaryRow> out;
    for (int i = 0; i < counted->rows(); ++i)
      out.push_back({counted->text(i, 0), counted->integer(i, 1), counted->text(i, 2), counted->text(i, 3),
                     counted->text(i, 4), counted->text(i, 5), counted->text(i, 6), counted->integer(i, 7)});
    return out;
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<fhir::PostgresConnection> db_;
};

}  // namespace

namespace detail {

fhir::Result<std::unique_ptr<FeedbackStore>> open_postgres_feedback_store(const std::string& url) {
  auto db = open_postgres_audit_database(url);
  if (!db) return db.error();
  return std::unique_ptr<FeedbackStore>(new PostgresFeedbackStore(std::move(db).value()));
}

}  // namespace detail

}  // namespace crdex::hooks
