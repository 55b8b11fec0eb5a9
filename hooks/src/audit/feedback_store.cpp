#include "crdex/hooks/feedback_store.hpp"

#include <map>
#include <tuple>

#include "audit_database.hpp"
#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::hooks {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

std::string json_string_array(const std::vector<std::string>& items) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartArray();
  for (const auto& item : items) fhir::write_string(w, item);
  w.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

fhir::Result<std::unique_ptr<FeedbackStore>> FeedbackStore::open(const std::filesystem::path& file) {
  auto db = detail::open_audit_database(file);
  if (!db) return db.error();
  return std::unique_ptr<FeedbackStore>(new FeedbackStore(std::move(db).value()));
}

FeedbackStore::~FeedbackStore() = default;

fhir::Result<int64_t> FeedbackStore::add(const std::string& service_id, const std::vector<CardFeedback>& items) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin storing feedback");
  SqliteStatement s(*db_,
                    "INSERT OR IGNORE INTO feedback (service, card_uuid, outcome, outcome_timestamp, "
                    "accepted_suggestions, override_system, override_code, override_display, user_comment, "
                    "received_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
  if (!s.ok()) return db_->error("cannot prepare storing feedback");
  const std::string received_at = fhir::now_instant();
  int64_t added = 0;
  for (const auto& item : items) {
    s.bind(1, service_id)
        .bind(2, item.card_uuid)
        .bind(3, item.outcome)
        .bind(4, item.outcome_timestamp)
        .bind(5, json_string_array(item.accepted_suggestions))
        .bind_or_null(6, item.override_system)
        .bind_or_null(7, item.override_code)
        .bind_or_null(8, item.override_display)
        .bind_or_null(9, item.user_comment)
        .bind(10, received_at);
    if (s.step() != SqliteStep::done) return db_->error("cannot store feedback");
    added += db_->changes();
    s.reset();
  }
  if (!transaction.commit()) return db_->error("cannot commit feedback");
  return added;
}

fhir::Result<std::vector<RuleFeedback>> FeedbackStore::summary(const std::string& payer_id) {
  std::lock_guard lock(mutex_);
  // The attribution a purge copied into the feedback row, else the card's
  // recorded origin; NULL for unknown cards.
  SqliteStatement s(*db_,
                    "SELECT COALESCE(f.payer, i.payer) AS p, COALESCE(f.rule_set_version, o.rule_set_version), "
                    "COALESCE(f.rule_id, r.term), COALESCE(f.card_type, t.term), f.outcome, "
                    "COALESCE(f.override_system, ''), COALESCE(f.override_code, ''), COUNT(*) "
                    "FROM feedback f LEFT JOIN card_origins o ON o.card_uuid = uuid_key(f.card_uuid) "
                    "LEFT JOIN invocations i ON i.id = o.invocation_id "
                    "LEFT JOIN audit_terms r ON r.id = o.rule_term LEFT JOIN audit_terms t ON t.id = o.card_type_term "
                    "WHERE (?1 IS NULL OR COALESCE(f.payer, i.payer) = ?1) "
                    "GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY p IS NULL, 1, 2, 3, 4, 5, 6, 7");
  if (!s.ok()) return db_->error("cannot summarise feedback");
  s.bind_or_null(1, payer_id);
  std::vector<RuleFeedback> out;
  std::map<std::tuple<std::string, int64_t, std::string, std::string>, size_t> rows;
  SqliteStep rc;
  while ((rc = s.step()) == SqliteStep::row) {
    const auto key = std::make_tuple(s.text(0), s.integer(1), s.text(2), s.text(3));
    auto [at, inserted] = rows.emplace(key, out.size());
    if (inserted)
      out.push_back({s.text(0), static_cast<int>(s.integer(1)), s.text(2), s.text(3), 0, 0, {}});
    RuleFeedback& row = out[at->second];
    const int64_t count = s.integer(7);
    if (s.text(4) == "accepted") {
      row.accepted += count;
    } else {
      row.overridden += count;
      row.override_reasons.push_back({s.text(5), s.text(6), count});
    }
  }
  if (rc != SqliteStep::done) return db_->error("cannot summarise feedback");
  return out;
}

}  // namespace crdex::hooks
