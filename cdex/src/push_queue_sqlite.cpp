#include <mutex>

#include "crdex/cdex/push_queue.hpp"
#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::cdex {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

constexpr const char* kSqlitePushQueueName = "push queue";

// Migration 1 is the schema from before migrations (adopted in place).
constexpr fhir::SchemaMigration kSqlitePushMigrations[] = {
    {1, "pushes by idempotency key, and their attempts", R"sql(
CREATE TABLE IF NOT EXISTS pushes (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
  next_attempt_ms INTEGER NOT NULL,
  last_status     INTEGER NOT NULL,
  last_error      TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  sent_at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pushes_due ON pushes (state, next_attempt_ms);
CREATE TABLE IF NOT EXISTS push_attempts (
  push_id  INTEGER NOT NULL REFERENCES pushes (id),
  sequence INTEGER NOT NULL,
  attempt  INTEGER NOT NULL,
  at       TEXT NOT NULL,
  status   INTEGER NOT NULL,
  error    TEXT NOT NULL,
  PRIMARY KEY (push_id, sequence)
);
)sql"},
    {2, "a lease on each push: which sender is sending it, until when", R"sql(
ALTER TABLE pushes ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE pushes ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
)sql"},
};

constexpr const char* kSqlitePushColumns =
    "id, key, event, subject, payer_id, push_id, destination, what, parameters, state, attempts, next_attempt_ms, "
    "last_status, last_error, created_at, updated_at, sent_at";

PushItem read_push(const SqliteStatement& s) {
  PushItem p;
  p.id = s.integer(0);
  p.key = s.text(1);
  p.event = s.text(2);
  p.subject = s.text(3);
  p.payer_id = s.text(4);
  p.push_id = s.text(5);
  p.destination = s.text(6);
  p.what = s.text(7);
  p.parameters = s.text(8);
  p.state = s.text(9);
  p.attempts = static_cast<int>(s.integer(10));
  p.next_attempt_ms = s.integer(11);
  p.last_status = static_cast<long>(s.integer(12));
  p.last_error = s.text(13);
  p.created_at = s.text(14);
  p.updated_at = s.text(15);
  p.sent_at = s.text(16);
  return p;
}

class SqlitePushQueue final : public PushQueue {
 public:
  explicit SqlitePushQueue(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}

  fhir::Result<Queued> enqueue(const PushItem& p, int64_t due_ms) override {
    std::lock_guard lock(mutex_);
    const auto now = fhir::now_instant();
    SqliteStatement insert(*db_, std::string("INSERT OR IGNORE INTO pushes (") + kSqlitePushColumns +
                                     ") VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, 0, '', ?, ?, '')");
    insert.bind(1, p.key).bind(2, p.event).bind(3, p.subject).bind(4, p.payer_id).bind(5, p.push_id);
    insert.bind(6, p.destination).bind(7, p.what).bind(8, p.parameters).bind(9, due_ms).bind(10, now).bind(11, now);
    if (!insert.run()) return db_->error("cannot queue the push");
    const bool added = db_->changes() > 0;
    SqliteStatement find(*db_, "SELECT id FROM pushes WHERE key = ?");
    if (find.bind(1, p.key).step() != SqliteStep::row) return db_->error("cannot read the queued push");
    return Queued{find.integer(0), added};
  }

  fhir::Result<std::vector<PushItem>> due(int64_t now_ms, int limit) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("SELECT ") + kSqlitePushColumns +
                                " FROM pushes WHERE state = 'queued' AND next_attempt_ms <= ?1 AND lease_until <= ?1 "
                                "ORDER BY next_attempt_ms, id LIMIT ?2");
    std::vector<PushItem> out;
    if (!s.bind(1, now_ms).bind(2, static_cast<int64_t>(limit)).each_row([&](const SqliteStatement& row) {
          out.push_back(read_push(row));
        }))
      return db_->error("cannot read the queue");
    return out;
  }

  fhir::Result<std::optional<int64_t>> next_due_ms() override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "SELECT MIN(MAX(next_attempt_ms, lease_until)) FROM pushes WHERE state = 'queued'");
    if (s.step() != SqliteStep::row) return db_->error("cannot read the queue");
    if (s.is_null(0)) return std::optional<int64_t>();
    return std::optional<int64_t>(s.integer(0));
  }

  fhir::Result<std::optional<PushItem>> claim_next(int64_t now_ms, const std::string& holder,
                                                   int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    // One statement under SQLite's write lock: the item chosen is the item leased.
    SqliteStatement s(*db_, std::string("UPDATE pushes SET lease_holder = ?1, lease_until = ?2 + ?3 WHERE id = "
                                        "(SELECT id FROM pushes WHERE state = 'queued' AND next_attempt_ms <= ?2 AND "
                                        "lease_until <= ?2 ORDER BY next_attempt_ms, id LIMIT 1) RETURNING ") +
                                kSqlitePushColumns);
    if (!s.ok()) return db_->error("cannot claim a push");
    const SqliteStep rc = s.bind(1, holder).bind(2, now_ms).bind(3, lease_ms).step();
    if (rc == SqliteStep::done) return std::optional<PushItem>();
    if (rc != SqliteStep::row) return db_->error("cannot claim a push");
    auto item = read_push(s);
    if (s.step() != SqliteStep::done) return db_->error("cannot claim a push");
    return std::optional<PushItem>(std::move(item));
  }

  fhir::Result<bool> record_attempt(int64_t id, const PushAttempt& a, const std::string& state, int64_t next_ms,
                                    const std::string& holder) override {
    std::lock_guard lock(mutex_);
    SqliteTransaction tx(*db_);
    if (!tx.begun()) return db_->error("cannot record the attempt");
    SqliteStatement attempt(*db_,
                            "INSERT INTO push_attempts (push_id, sequence, attempt, at, status, error) VALUES (?, "
                            "(SELECT COUNT(*) + 1 FROM push_attempts WHERE push_id = ?), ?, ?, ?, ?)");
    attempt.bind(1, id).bind(2, id).bind(3, static_cast<int64_t>(a.attempt)).bind(4, a.at);
    attempt.bind(5, static_cast<int64_t>(a.status)).bind(6, a.error);
    if (!attempt.run()) return db_->error("cannot record the attempt");
    SqliteStatement update(*db_,
                           "UPDATE pushes SET state = ?, attempts = ?, next_attempt_ms = ?, last_status = ?, "
                           "last_error = ?, updated_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, "
                           "lease_holder = '', lease_until = 0 WHERE id = ? AND state = 'queued' AND "
                           "(? = '' OR lease_holder = ?)");
    update.bind(1, state).bind(2, static_cast<int64_t>(a.attempt)).bind(3, next_ms);
    update.bind(4, static_cast<int64_t>(a.status)).bind(5, a.error).bind(6, a.at).bind(7, state).bind(8, a.at);
    update.bind(9, id).bind(10, holder).bind(11, holder);
    if (!update.run()) return db_->error("cannot record the attempt");
    if (db_->changes() == 0) return false;  // no longer queued (or leased to us): rolled back, nothing recorded
    if (!tx.commit()) return db_->error("cannot record the attempt");
    return true;
  }

  fhir::Result<std::vector<PushItem>> list(const std::string& state, int limit) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("SELECT ") + kSqlitePushColumns +
                                " FROM pushes WHERE (? = '' OR state = ?) ORDER BY id DESC LIMIT ?");
    std::vector<PushItem> out;
    if (!s.bind(1, state).bind(2, state).bind(3, static_cast<int64_t>(limit)).each_row(
            [&](const SqliteStatement& row) { out.push_back(read_push(row)); }))
      return db_->error("cannot read the queue");
    return out;
  }

  fhir::Result<std::optional<PushItem>> get(int64_t id) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, std::string("SELECT ") + kSqlitePushColumns + " FROM pushes WHERE id = ?");
    const auto rc = s.bind(1, id).step();
    if (rc == SqliteStep::done) return std::optional<PushItem>();
    if (rc != SqliteStep::row) return db_->error("cannot read the queue");
    auto item = read_push(s);
    SqliteStatement h(*db_,
                      "SELECT attempt, at, status, error FROM push_attempts WHERE push_id = ? ORDER BY sequence");
    if (!h.bind(1, id).each_row([&](const SqliteStatement& row) {
          item.history.push_back({static_cast<int>(row.integer(0)), row.text(1), static_cast<long>(row.integer(2)),
                                  row.text(3)});
        }))
      return db_->error("cannot read the attempts");
    return std::optional<PushItem>(std::move(item));
  }

  fhir::Result<bool> retry(int64_t id, int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_,
                      "UPDATE pushes SET state = 'queued', attempts = 0, next_attempt_ms = ?, updated_at = ?, "
                      "lease_holder = '', lease_until = 0 WHERE id = ? AND state = 'failed'");
    if (!s.bind(1, now_ms).bind(2, fhir::now_instant()).bind(3, id).run()) return db_->error("cannot queue it again");
    return db_->changes() > 0;
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace

fhir::Result<std::shared_ptr<PushQueue>> PushQueue::open(const std::filesystem::path& file) {
  auto db = fhir::SqliteDatabase::open(file, "", {.name = kSqlitePushQueueName});
  if (!db) return db.error();
  std::error_code ec;  // PHI: the owner's only, whatever the umask
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, ec);
  if (ec)
    return fhir::Error{500, fhir::IssueType::exception,
                       "push queue: cannot make " + file.string() + " private (0600): " + ec.message(), ""};
  auto migrated = fhir::migrate_sqlite_schema(**db, kSqlitePushQueueName, kSqlitePushMigrations);
  if (!migrated) return migrated.error();
  return std::shared_ptr<PushQueue>(new SqlitePushQueue(std::move(db).value()));
}

}  // namespace crdex::cdex
