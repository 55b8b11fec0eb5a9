#include <mutex>

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
};

// How often (seconds) a replica deletes the expired entries.
constexpr int64_t kSweepEverySeconds = 60;

class PostgresJtiLedger final : public JtiLedger {
 public:
  explicit PostgresJtiLedger(std::unique_ptr<fhir::PostgresConnection> db) : db_(std::move(db)) {}

  Outcome remember(std::string_view iss, std::string_view jti, int64_t expires_at, int64_t now) override {
    std::lock_guard lock(mutex_);
    if (now >= next_sweep_) {
      // Best effort: a failed sweep only leaves rows for the next one.
      (void)db_->query("cannot delete expired jti values", "DELETE FROM jti_replays WHERE expires_at < $1",
                       {std::to_string(now)});
      next_sweep_ = now + kSweepEverySeconds;
    }
    // One statement, atomic across replicas: a new (iss, jti) is inserted; an
    // expired one is taken over; a live one is left alone and returns no row.
    auto recorded = db_->query("cannot record the jti",
                               "INSERT INTO jti_replays (issuer, jti, expires_at) VALUES ($1, $2, $3) "
                               "ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at "
                               "WHERE jti_replays.expires_at < $4 RETURNING 1",
                               {std::string(iss), std::string(jti), std::to_string(expires_at), std::to_string(now)});
    if (!recorded) return Outcome::unavailable;
    return recorded->rows() == 1 ? Outcome::fresh : Outcome::replayed;
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<fhir::PostgresConnection> db_;
  int64_t next_sweep_ = 0;
};

}  // namespace

fhir::Result<std::unique_ptr<JtiLedger>> open_postgres_jti_ledger(const std::string& url) {
  auto db = fhir::PostgresConnection::open(url, kJtiLedgerName);
  if (!db) return db.error();
  auto migrated = fhir::migrate_postgres_schema(**db, kJtiLedgerName, kJtiLedgerMigrations);
  if (!migrated) return migrated.error();
  return std::unique_ptr<JtiLedger>(new PostgresJtiLedger(std::move(db).value()));
}

}  // namespace crdex::smart
