#include <mutex>

#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/postgres_connection.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "store_backends.hpp"

namespace crdex::cdex {

namespace {

constexpr const char* kPostgresPushQueueName = "push queue";

// Tables named push_queue_* so they stand beside the other stores in one database.
constexpr fhir::SchemaMigration kPostgresPushMigrations[] = {
    {1, "pushes by idempotency key with their lease, and their attempts", R"sql(
CREATE TABLE push_queue_items (
  id              BIGSERIAL PRIMARY KEY,
  key             TEXT NOT NULL UNIQUE,
  event           TEXT NOT NULL,
  subject         TEXT NOT NULL,
  payer_id        TEXT NOT NULL,
  push_id         TEXT NOT NULL,
  destination     TEXT NOT NULL,
  what            TEXT NOT NULL,
  parameters      TEXT NOT NULL,
  state           TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  last_status     INTEGER NOT NULL,
  last_error      TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  sent_at         TEXT NOT NULL,
  lease_holder    TEXT NOT NULL DEFAULT '',
  lease_until     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX push_queue_items_due ON push_queue_items (state, next_attempt_ms);
CREATE TABLE push_queue_attempts (
  push_id  BIGINT NOT NULL REFERENCES push_queue_items (id),
  sequence INTEGER NOT NULL,
  attempt  INTEGER NOT NULL,
  at       TEXT NOT NULL,
  status   INTEGER NOT NULL,
  error    TEXT NOT NULL,
  PRIMARY KEY (push_id, sequence)
);
)sql"},
};

constexpr const char* kPostgresPushColumns =
    "id, key, event, subject, payer_id, push_id, destination, what, parameters, state, attempts, next_attempt_ms, "
    "last_status, last_error, created_at, updated_at, sent_at";

PushItem read_push(const fhir::PostgresResult& r, int i) {
  PushItem p;
  p.id = r.integer(i, 0);
  p.key = r.text(i, 1);
  p.event = r.text(i, 2);
  p.subject = r.text(i, 3);
  p.payer_id = r.text(i, 4);
  p.push_id = r.text(i, 5);
  p.destination = r.text(i, 6);
  p.what = r.text(i, 7);
  p.parameters = r.text(i, 8);
  p.state = r.text(i, 9);
  p.attempts = static_cast<int>(r.integer(i, 10));
  p.next_attempt_ms = r.integer(i, 11);
  p.last_status = static_cast<long>(r.integer(i, 12));
  p.last_error = r.text(i, 13);
  p.created_at = r.text(i, 14);
  p.updated_at = r.text(i, 15);
  p.sent_at = r.text(i, 16);
  return p;
}

std::vector<PushItem> read_pushes(const fhir::PostgresResult& r) {
  std::vector<PushItem> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_push(r, i));
  return out;
}

std::string select_pushes(const char* rest) {
  return std::string("SELECT ") + kPostgresPushColumns + " FROM push_queue_items " + rest;
}

// The queue every replica shares: an item is leased to one sender at a time.
class PostgresPushQueue final : public PushQueue {
 public:
  explicit PostgresPushQueue(std::unique_ptr<fhir::PostgresConnection> db) : db_(std::move(db)) {}

  fhir::Result<Queued> enqueue(const PushItem& p, int64_t due_ms) override {
    std::lock_guard lock(mutex_);
    const auto now = fhir::now_instant();
    auto inserted = db_->query("cannot queue the push",
                               "INSERT INTO push_queue_items (key, event, subject, payer_id, push_id, destination, "
                               "what, parameters, state, attempts, next_attempt_ms, last_status, last_error, "
                               "created_at, updated_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, "
                               "$9, 0, '', $10, $10, '') ON CONFLICT (key) DO NOTHING RETURNING id",
                               {p.key, p.event, p.subject, p.payer_id, p.push_id, p.destination, p.what, p.parameters,
                                std::to_string(due_ms), now});
    if (!inserted) return inserted.error();
    if (inserted->rows() == 1) return Queued{inserted->integer(0, 0), true};
    auto found = db_->query("cannot read the queued push", "SELECT id FROM push_queue_items WHERE key = $1", {p.key});
    if (!found) return found.error();
    if (found->rows() != 1) return db_->error("cannot read the queued push");
    return Queued{found->integer(0, 0), false};
  }

  fhir::Result<std::vector<PushItem>> due(int64_t now_ms, int limit) override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot read the queue",
                        select_pushes("WHERE state = 'queued' AND next_attempt_ms <= $1 AND lease_until <= $1 "
                                      "ORDER BY next_attempt_ms, id LIMIT $2")
                            .c_str(),
                        {std::to_string(now_ms), std::to_string(limit)});
    if (!r) return r.error();
    return read_pushes(*r);
  }

  fhir::Result<std::optional<int64_t>> next_due_ms() override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot read the queue",
                        "SELECT MIN(GREATEST(next_attempt_ms, lease_until)) FROM push_queue_items "
                        "WHERE state = 'queued'");
    if (!r) return r.error();
    if (r->rows() == 0 || r->is_null(0, 0)) return std::optional<int64_t>();
    return std::optional<int64_t>(r->integer(0, 0));
  }

  fhir::Result<std::optional<PushItem>> claim_next(int64_t now_ms, const std::string& holder,
                                                   int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    // SKIP LOCKED: an item another sender is claiming this instant is passed
    // over; the outer condition is checked again on the row as it is then.
    auto r = db_->query("cannot claim a push",
                        (std::string("UPDATE push_queue_items SET lease_holder = $1, lease_until = $2::bigint + "
                                     "$3::bigint WHERE id = (SELECT id FROM push_queue_items WHERE state = 'queued' "
                                     "AND next_attempt_ms <= $2 AND lease_until <= $2 ORDER BY next_attempt_ms, id "
                                     "LIMIT 1 FOR UPDATE SKIP LOCKED) AND state = 'queued' AND lease_until <= $2 "
                                     "RETURNING ") +
                         kPostgresPushColumns)
                            .c_str(),
                        {holder, std::to_string(now_ms), std::to_string(lease_ms)});
    if (!r) return r.error();
    if (r->rows() == 0) return std::optional<PushItem>();
    return std::optional<PushItem>(read_push(*r, 0));
  }

  fhir::Result<bool> record_attempt(int64_t id, const PushAttempt& a, const std::string& state, int64_t next_ms,
                                    const std::string& holder) override {
    std::lock_guard lock(mutex_);
    fhir::PostgresTransaction tx(*db_);
    if (!tx.begun()) return db_->error("cannot record the attempt");
    const std::string item = std::to_string(id);
    auto update = db_->query("cannot record the attempt",
                             "UPDATE push_queue_items SET state = $1, attempts = $2, next_attempt_ms = $3, "
                             "last_status = $4, last_error = $5, updated_at = $6, sent_at = CASE WHEN $1 = 'sent' "
                             "THEN $6 ELSE sent_at END, lease_holder = '', lease_until = 0 WHERE id = $7 AND "
                             "state = 'queued' AND ($8 = '' OR lease_holder = $8)",
                             {state, std::to_string(a.attempt), std::to_string(next_ms), std::to_string(a.status),
                              a.error, a.at, item, holder});
    if (!update) return update.error();
    if (update->changed() == 0) return false;  // no longer queued (or leased to us): rolled back
    auto attempt = db_->query("cannot record the attempt",
                              "INSERT INTO push_queue_attempts (push_id, sequence, attempt, at, status, error) "
                              "VALUES ($1, (SELECT COUNT(*) + 1 FROM push_queue_attempts WHERE push_id = $1), $2, "
                              "$3, $4, $5)",
                              {item, std::to_string(a.attempt), a.at, std::to_string(a.status), a.error});
    if (!attempt) return attempt.error();
    if (!tx.commit()) return db_->error("cannot record the attempt");
    return true;
  }

  fhir::Result<std::vector<PushItem>> list(const std::string& state, int limit) override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot read the queue",
                        select_pushes("WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2").c_str(),
                        {state, std::to_string(limit)});
    if (!r) return r.error();
    return read_pushes(*r);
  }

  fhir::Result<std::optional<PushItem>> get(int64_t id) override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot read the queue", select_pushes("WHERE id = $1").c_str(), {std::to_string(id)});
    if (!r) return r.error();
    if (r->rows() == 0) return std::optional<PushItem>();
    auto item = read_push(*r, 0);
    auto h = db_->query("cannot read the attempts",
                        "SELECT attempt, at, status, error FROM push_queue_attempts WHERE push_id = $1 "
                        "ORDER BY sequence",
                        {std::to_string(id)});
    if (!h) return h.error();
    for (int i = 0; i < h->rows(); ++i)
      item.history.push_back(
          {static_cast<int>(h->integer(i, 0)), h->text(i, 1), static_cast<long>(h->integer(i, 2)), h->text(i, 3)});
    return std::optional<PushItem>(std::move(item));
  }

  fhir::Result<bool> retry(int64_t id, int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    auto r = db_->query("cannot queue it again",
                        "UPDATE push_queue_items SET state = 'queued', attempts = 0, next_attempt_ms = $1, "
                        "updated_at = $2, lease_holder = '', lease_until = 0 WHERE id = $3 AND state = 'failed'",
                        {std::to_string(now_ms), fhir::now_instant(), std::to_string(id)});
    if (!r) return r.error();
    return r->changed() > 0;
  }

 private:
  std::unique_ptr<fhir::PostgresConnection> db_;
  std::mutex mutex_;
};

}  // namespace

namespace detail {

fhir::Result<std::shared_ptr<PushQueue>> open_postgres_push_queue(const std::string& url) {
  auto db = fhir::PostgresConnection::open(url, kPostgresPushQueueName);
  if (!db) return db.error();
  auto migrated = fhir::migrate_postgres_schema(**db, kPostgresPushQueueName, kPostgresPushMigrations);
  if (!migrated) return migrated.error();
  return std::shared_ptr<PushQueue>(new PostgresPushQueue(std::move(db).value()));
}

}  // namespace detail

}  // namespace crdex::cdex
