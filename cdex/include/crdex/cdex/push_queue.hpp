#pragma once
// The durable queue of provider-initiated pushes (CDex P2) in --data
// DIR/push.sqlite (0600), or in the PostgreSQL database replicas share
// (`--store postgresql://...`, tables push_queue_*): one row per planned push, unique by its
// idempotency key (event + subject + payer + push rule + resource), so the
// same event notified twice is queued once. Each attempt to send is recorded
// (when, HTTP status, error) beside the item, and the item's state moves
// queued -> sent, or queued -> failed after the last attempt; an operator may
// put a failed item back in the queue. Every transition is committed before
// the sender goes on, so a restart loses nothing and resends nothing sent.
//
// Replicas sharing the queue send each push once: a sender leases the item
// it is about to send (claim_next: one statement picks a due item whose
// lease is free or expired and leases it), and its outcome is recorded only
// while it holds the lease. A replica killed mid-send loses the lease when
// the lease time passes, and another sends the item. A back end only stores
// and reads rows (push_queue_sqlite.cpp, push_queue_postgres.cpp).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"

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
  // Opens (creating, or migrating in place) the SQLite file and makes it
  // readable by its owner only.
  static fhir::Result<std::shared_ptr<PushQueue>> open(const std::filesystem::path& file);
  virtual ~PushQueue();
  PushQueue(const PushQueue&) = delete;
  PushQueue& operator=(const PushQueue&) = delete;

  // Queues `item` (key, what, parameters...) due at `due_ms`; the id of the
  // item with that key and whether it is new (false: queued before, unchanged).
  struct Queued {
    int64_t id = 0;
    bool added = false;
  };
  virtual fhir::Result<Queued> enqueue(const PushItem& item, int64_t due_ms) = 0;

  // Queued items due at `now_ms` and not leased, oldest first (at most `limit`).
  virtual fhir::Result<std::vector<PushItem>> due(int64_t now_ms, int limit) = 0;
  // When the next queued item can be claimed (due, its lease free); nullopt
  // when none is queued.
  virtual fhir::Result<std::optional<int64_t>> next_due_ms() = 0;

  // Leases the oldest queued item due at `now_ms` whose lease is free or
  // expired to `holder` until now_ms + lease_ms, in one statement: two
  // senders never get the same item. nullopt when none is due and free.
  virtual fhir::Result<std::optional<PushItem>> claim_next(int64_t now_ms, const std::string& holder,
                                                           int64_t lease_ms) = 0;

  // Records one attempt and the item's new state in one transaction:
  // `state` "sent", "failed", or "queued" again at `next_ms`, and frees the
  // lease. With a `holder`, only while that holder still holds the lease;
  // false (nothing recorded) when the item is no longer queued or leased to it.
  virtual fhir::Result<bool> record_attempt(int64_t id, const PushAttempt& attempt, const std::string& state,
                                            int64_t next_ms, const std::string& holder = {}) = 0;

  // Items, newest first; `state` "" for every state.
  virtual fhir::Result<std::vector<PushItem>> list(const std::string& state, int limit) = 0;
  virtual fhir::Result<std::optional<PushItem>> get(int64_t id) = 0;
  // A failed item queued again, due at `now_ms`, with a fresh count of
  // attempts (its history kept); false when it is not failed.
  virtual fhir::Result<bool> retry(int64_t id, int64_t now_ms) = 0;

 protected:
  PushQueue() = default;
};

// The push queue `--store` names: push.sqlite under the SQLite directory, or
// the PostgreSQL database (tables push_queue_items, push_queue_attempts).
fhir::Result<std::shared_ptr<PushQueue>> open_push_queue(const fhir::StoreLocation& location);

}  // namespace crdex::cdex
