#pragma once
// The durable queue of provider-initiated pushes (CDex P2) in --data
// DIR/push.sqlite (0600): one row per planned push, unique by its
// idempotency key (event + subject + payer + push rule + resource), so the
// same event notified twice is queued once. Each attempt to send is recorded
// (when, HTTP status, error) beside the item, and the item's state moves
// queued -> sent, or queued -> failed after the last attempt; an operator may
// put a failed item back in the queue. Every transition is committed before
// the sender goes on, so a restart loses nothing and resends nothing sent.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::cdex {

struct PushAttempt {
  int attempt = 0;
  std::string at;     // FHIR instant
  long status = 0;    // the payer's HTTP status; 0 when there was no answer
  std::string error;  // "" when accepted
};

struct PushItem {
  int64_t id = 0;
  std::string key;
  std::string event, subject, payer_id, push_id, destination, what;
  std::string parameters;  // the $submit-attachment Parameters
  std::string state;       // "queued" | "sent" | "failed"
  int attempts = 0;        // since queued (or put back)
  int64_t next_attempt_ms = 0;  // epoch ms; when a queued item is due
  long last_status = 0;
  std::string last_error;
  std::string created_at, updated_at, sent_at;
  std::vector<PushAttempt> history;  // filled by get() only
};

class PushQueue {
 public:
  // Opens (creating) the file and makes it readable by its owner only.
  static fhir::Result<std::shared_ptr<PushQueue>> open(const std::filesystem::path& file);

  // Queues `item` (key, what, parameters...) due at `due_ms`; the id of the
  // item with that key and whether it is new (false: queued before, unchanged).
  struct Queued {
    int64_t id = 0;
    bool added = false;
  };
  fhir::Result<Queued> enqueue(const PushItem& item, int64_t due_ms);

  // Queued items due at `now_ms`, oldest first (at most `limit`).
  fhir::Result<std::vector<PushItem>> due(int64_t now_ms, int limit);
  // When the next queued item is due; nullopt when none is queued.
  fhir::Result<std::optional<int64_t>> next_due_ms();

  // Records one attempt and the item's new state in one transaction:
  // `state` "sent", "failed", or "queued" again at `next_ms`.
  fhir::Result<bool> record_attempt(int64_t id, const PushAttempt& attempt, const std::string& state,
                                    int64_t next_ms);

  // Items, newest first; `state` "" for every state.
  fhir::Result<std::vector<PushItem>> list(const std::string& state, int limit);
  fhir::Result<std::optional<PushItem>> get(int64_t id);
  // A failed item queued again, due at `now_ms`, with a fresh count of
  // attempts (its history kept); false when it is not failed.
  fhir::Result<bool> retry(int64_t id, int64_t now_ms);

 private:
  explicit PushQueue(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}
  std::mutex mutex_;
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace crdex::cdex
