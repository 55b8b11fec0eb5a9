#pragma once
// FeedbackStore: card feedback, durable in the audit database (SQLite's
// audit.sqlite, or the PostgreSQL database replicas share, so feedback
// posted to any replica counts once in every replica's summary), and its
// summary per payer rule. A card is credited to the payer, rule-set version
// and rule recorded for its uuid when crdex answered (card_origins); feedback
// that arrives before its call is written, or for a card crdex does not know,
// is kept and shown as unattributed until (if ever) the origin is known.
// Building rows and the summary is common; a back end only stores and counts
// rows (feedback_store_sqlite.cpp, feedback_store_postgres.cpp).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"
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
  // The SQLite store in `file` (the audit database, created or migrated if needed).
  static fhir::Result<std::unique_ptr<FeedbackStore>> open(const std::filesystem::path& file);
  virtual ~FeedbackStore();
  FeedbackStore(const FeedbackStore&) = delete;
  FeedbackStore& operator=(const FeedbackStore&) = delete;

  // Stores every item in one transaction. The same feedback sent again (card,
  // outcome and outcomeTimestamp) is stored once, whichever replica it
  // reaches. Returns how many were new.
  fhir::Result<int64_t> add(const std::string& service_id, const std::vector<CardFeedback>& items);

  // Per payer rule (one payer's when `payer_id` is not empty), by payer,
  // version and rule (texts in byte order); the unattributed row last.
  fhir::Result<std::vector<RuleFeedback>> summary(const std::string& payer_id);

 protected:
  FeedbackStore() = default;

  // One feedback item as stored ("" is NULL for the optional columns).
  struct FeedbackRow {
    std::string service;
    std::string card_uuid;
    std::string card_key;  // the uuid's 16 bytes (the text when it is not a UUID)
    std::string outcome, outcome_timestamp;
    std::string accepted_suggestions;  // a JSON array of the suggestion uuids
    std::string override_system, override_code, override_display, user_comment;
    std::string received_at;
  };
  // A count of feedback by attribution (payer "" when unattributed), outcome
  // and override reason ("" when none).
  struct SummaryRow {
    std::string payer;
    int64_t rule_set_version = 0;
    std::string rule_id, card_type, outcome, override_system, override_code;
    int64_t count = 0;
  };

  // Inserts the rows in one transaction, skipping those already stored;
  // returns how many were new.
  virtual fhir::Result<int64_t> insert_feedback(const std::vector<FeedbackRow>& rows) = 0;
  // The counts, attributed from the row itself (after a purge) or from its
  // card's origin; any order.
  virtual fhir::Result<std::vector<SummaryRow>> summary_rows(const std::string& payer_id) = 0;
};

// The feedback store `--store` names: the audit database (audit.sqlite under
// the SQLite directory), or the PostgreSQL database (table audit_feedback,
// beside the audit's card origins).
fhir::Result<std::unique_ptr<FeedbackStore>> open_feedback_store(const fhir::StoreLocation& location);

}  // namespace crdex::hooks
