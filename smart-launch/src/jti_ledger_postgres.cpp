#include <chrono>
#include <climits>
#include <mutex>
#include <random>

#include "crdex/fhir/postgres_connection.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "crdex/smart/jti_ledger.hpp"

namespace crdex::smart {

namespace {

constexpr const char* kJtiLedgerName = "jti replay cache";

constexpr fhir::SchemaMigration kJtiLedgerMigrations[] = {
    {1, "the jti of every accepted JWT until it expires", R"sql(
CREATE TABLE jti_replays (
  issuer     TEXT NOT NULL,
  jti        TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (issuer, jti)
);
CREATE INDEX jti_replays_expiry ON jti_replays (expires_at);
)sql"},
    {2, "the replica holding a jti until its call is answered (NULL: answered)", R"sql(
ALTER TABLE jti_replays ADD COLUMN holder INTEGER;
)sql"},
};

// Whether the holder of the row being looked at still holds its session
// advisory lock, i.e. its replica is alive (pg_locks lists every session's
// advisory locks, whoever asks).
constexpr const char* kHolderAlive =
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND l.classid = 1247037745::oid AND l.objid = jti_replays.holder::oid)";
static_assert(kJtiHolderLockSpace == 1247037745);

// How often (seconds) a replica deletes the expired entries.
constexpr int64_t kSweepEverySeconds = 60;

// How long a replica waits for the session of a jti's holder to end before
// refusing the token as a replay (PostgreSQL ends a killed replica's
// sessions within milliseconds; a live holder makes a replay wait this long).
constexpr std::chrono::milliseconds kHolderWait{1000};

class PostgresJtiLedger final : public JtiLedger {
 public:
  PostgresJtiLedger(std::unique_ptr<fhir::PostgresConnection> db, std::unique_ptr<fhir::PostgresConnection> waiter,
                    int32_t holder)
      : db_(std::move(db)), waiter_(std::move(waiter)), holder_(std::to_string(holder)) {}

  Outcome remember(std::string_view iss, std::string_view jti, int64_t expires_at, int64_t now) override {
    std::string other;
    const Outcome first = record(iss, jti, expires_at, now, other);
    if (other.empty()) return first;
    // Held by a replica whose lock is still there. It may be answering the
    // call (a replay: refused), or it was killed a moment ago and
    // PostgreSQL has not ended its session yet, while nginx already retries
    // the call here: wait (bounded) for that lock, then look once more.
    if (!holder_gone(other)) return Outcome::replayed;
    const Outcome second = record(iss, jti, expires_at, now, other);
    return other.empty() ? second : Outcome::replayed;
  }

  // One attempt. Sets `other` to the holder number when the entry is held
  // by another replica whose lock is there (the outcome is then replayed).
  Outcome record(std::string_view iss, std::string_view jti, int64_t expires_at, int64_t now, std::string& other) {
    other.clear();
    std::lock_guard lock(mutex_);
    if (now >= next_sweep_) {
      // Best effort: a failed sweep only leaves rows for the next one.
      (void)db_->query("cannot delete expired jti values", "DELETE FROM jti_replays WHERE expires_at < $1",
                       {std::to_string(now)});
      next_sweep_ = now + kSweepEverySeconds;
    }
    // One statement, atomic across replicas: a new (iss, jti) is inserted,
    // held by this replica; an expired one, or one still held by a replica
    // that is gone (it died before answering: this is the retry), is taken
    // over; any other is left alone and returns no row.
    static const std::string sql =
        std::string("INSERT INTO jti_replays (issuer, jti, expires_at, holder) VALUES ($1, $2, $3, $5) "
                    "ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at, holder = excluded.holder "
                    "WHERE jti_replays.expires_at < $4 OR (jti_replays.holder IS NOT NULL AND NOT ") +
        kHolderAlive + ") RETURNING 1";
    auto recorded = db_->query(
        "cannot record the jti", sql.c_str(),
        {std::string(iss), std::string(jti), std::to_string(expires_at), std::to_string(now), holder_});
    if (!recorded) return Outcome::unavailable;
    if (recorded->rows() == 1) return Outcome::fresh;
    auto held = db_->query("cannot read the jti's holder",
                           "SELECT holder FROM jti_replays WHERE issuer = $1 AND jti = $2 AND holder IS NOT NULL "
                           "AND holder <> $3",
                           {std::string(iss), std::string(jti), holder_});
    if (held && held->rows() == 1) other = held->text(0, 0);
    return Outcome::replayed;
  }

  // Waits up to kHolderWait for holder `other`'s lock on a connection of its
  // own (the ledger's stays free for other calls meanwhile); true when the
  // lock could be had, i.e. the holder's session has ended.
  bool holder_gone(const std::string& other) {
    std::lock_guard lock(wait_mutex_);
    fhir::PostgresTransaction transaction(*waiter_);
    if (!transaction.begun()) return false;
    const std::string timeout = "SET LOCAL lock_timeout = '" + std::to_string(kHolderWait.count()) + "ms'";
    if (!waiter_->exec("cannot bound the wait", timeout.c_str())) return false;
    // Shared, for the transaction only: released at its end, and never in
    // the way of another replica waiting for the same holder.
    return waiter_
        ->query("cannot wait for the jti's holder", "SELECT pg_advisory_xact_lock_shared($1::int, $2::int)",
                {std::to_string(kJtiHolderLockSpace), other})
        .ok();
  }

  void settle(std::string_view iss, std::string_view jti, bool answered) override {
    std::lock_guard lock(mutex_);
    const auto done = db_->query(
        "cannot settle the jti",
        answered ? "UPDATE jti_replays SET holder = NULL WHERE issuer = $1 AND jti = $2 AND holder = $3"
                 : "DELETE FROM jti_replays WHERE issuer = $1 AND jti = $2 AND holder = $3",
        {std::string(iss), std::string(jti), holder_});
    (void)done;  // best effort: an entry left held is refused while this replica lives
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<fhir::PostgresConnection> db_;
  std::mutex wait_mutex_;
  std::unique_ptr<fhir::PostgresConnection> waiter_;  // waits for a holder's lock
  const std::string holder_;
  int64_t next_sweep_ = 0;
};

}  // namespace

fhir::Result<std::unique_ptr<JtiLedger>> open_postgres_jti_ledger(const std::string& url) {
  auto db = fhir::PostgresConnection::open(url, kJtiLedgerName);
  if (!db) return db.error();
  auto migrated = fhir::migrate_postgres_schema(**db, kJtiLedgerName, kJtiLedgerMigrations);
  if (!migrated) return migrated.error();
  // A holder number no live replica uses: its lock is free and now ours, for
  // as long as the session lives (taken again on a fresh session after a reset).
  std::random_device random;
  std::uniform_int_distribution<int32_t> numbers(1, INT32_MAX);
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int32_t holder = numbers(random);
    const std::string space = std::to_string(kJtiHolderLockSpace), number = std::to_string(holder);
    auto claimed = (*db)->query("cannot take the holder lock", "SELECT pg_try_advisory_lock($1::int, $2::int)",
                                {space, number});
    if (!claimed) return claimed.error();
    if (claimed->text(0, 0) != "t") continue;
    auto kept = (*db)->run_on_every_session("cannot take the holder lock",
                                            "SELECT pg_try_advisory_lock(" + space + ", " + number + ")");
    if (!kept) return kept.error();
    auto waiter = fhir::PostgresConnection::open(url, kJtiLedgerName);
    if (!waiter) return waiter.error();
    return std::unique_ptr<JtiLedger>(new PostgresJtiLedger(std::move(db).value(), std::move(waiter).value(), holder));
  }
  return fhir::Error{500, fhir::IssueType::exception, std::string(kJtiLedgerName) + ": no free holder number", ""};
}

}  // namespace crdex::smart
