#include "crdex/hooks/feedback_store.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "audit_store_backends.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::hooks {

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

fhir::Result<std::unique_ptr<FeedbackStore>> open_feedback_store(const fhir::StoreLocation& location) {
  if (location.is_postgresql()) return detail::open_postgres_feedback_store(location.postgres_url);
  return FeedbackStore::open(location.sqlite_dir / "audit.sqlite");
}

FeedbackStore::~FeedbackStore() = default;

fhir::Result<int64_t> FeedbackStore::add(const std::string& service_id, const std::vector<CardFeedback>& items) {
  const std::string received_at = fhir::now_instant();
  std::vector<FeedbackRow> rows;
  rows.reserve(items.size());
  for (const auto& item : items) {
    auto key = fhir::uuid_bytes(item.card_uuid);
    rows.push_back({service_id, item.card_uuid, key ? std::move(*key) : item.card_uuid, item.outcome,
                    item.outcome_timestamp, json_string_array(item.accepted_suggestions), item.override_system,
                    item.override_code, item.override_display, item.user_comment, received_at});
  }
  return insert_feedback(rows);
}

fhir::Result<std::vector<RuleFeedback>> FeedbackStore::summary(const std::string& payer_id) {
  auto counted = summary_rows(payer_id);
  if (!counted) return counted.error();
  // Sorted here, not by the database, so both back ends give the same order
  // (texts compared byte by byte, as SQLite does; PostgreSQL would use its
  // collation): by payer, the unattributed last, then version, rule, type,
  // outcome and reason.
  auto rank = [](const SummaryRow& r) {
    return std::tie(r.rule_set_version, r.rule_id, r.card_type, r.outcome, r.override_system, r.override_code);
  };
  std::sort(counted->begin(), counted->end(), [&](const SummaryRow& a, const SummaryRow& b) {
    if (a.payer.empty() != b.payer.empty()) return b.payer.empty();
    if (a.payer != b.payer) return a.payer < b.payer;
    return rank(a) < rank(b);
  });
  std::vector<RuleFeedback> out;
  std::map<std::tuple<std::string, int64_t, std::string, std::string>, size_t> rows;
  for (const auto& counts : *counted) {
    const auto key = std::make_tuple(counts.payer, counts.rule_set_version, counts.rule_id, counts.card_type);
    auto [at, inserted] = rows.emplace(key, out.size());
    if (inserted)
      out.push_back({counts.payer, static_cast<int>(counts.rule_set_version), counts.rule_id, counts.card_type, 0, 0,
                     {}});
    RuleFeedback& row = out[at->second];
    if (counts.outcome == "accepted") {
      row.accepted += counts.count;
    } else {
      row.overridden += counts.count;
      row.override_reasons.push_back({counts.override_system, counts.override_code, counts.count});
    }
  }
  return out;
}

}  // namespace crdex::hooks
