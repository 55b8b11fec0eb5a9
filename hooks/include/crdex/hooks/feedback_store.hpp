#pragma once
// FeedbackStore: card feedback, durable in the audit database, and its
// summary per payer rule. A card is credited to the payer, rule-set version
// and rule recorded for its uuid when crdex answered (card_origins); feedback
// that arrives before its call is written, or for a card crdex does not know,
// is kept and shown as unattributed until (if ever) the origin is known.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"
#include "crdex/hooks/feedback.hpp"

namespace crdex::hooks {

struct OverrideReasonCount {
  std::string system;
  std::string code;  // empty: overridden without a reason Coding
  int64_t count = 0;
};

// One row of the summary: a payer rule's card type and what was done with it.
struct RuleFeedback {
  std::string payer_id;  // all four empty: unattributed feedback
  int rule_set_version = 0;
  std::string rule_id;
  std::string card_type;
  int64_t accepted = 0;
  int64_t overridden = 0;
  std::vector<OverrideReasonCount> override_reasons;
};

class FeedbackStore {
 public:
  static fhir::Result<std::unique_ptr<FeedbackStore>> open(const std::filesystem::path& file);
  ~FeedbackStore();
  FeedbackStore(const FeedbackStore&) = delete;
  FeedbackStore& operator=(const FeedbackStore&) = delete;

  // Stores every item in one transaction. The same feedback sent again (card,
  // outcome and outcomeTimestamp) is stored once. Returns how many were new.
  fhir::Result<int64_t> add(const std::string& service_id, const std::vector<CardFeedback>& items);

  // Per payer rule (one payer's when `payer_id` is not empty), by payer,
  // version and rule; the unattributed row last.
  fhir::Result<std::vector<RuleFeedback>> summary(const std::string& payer_id);

 private:
  explicit FeedbackStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}
  std::mutex mutex_;
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace crdex::hooks
