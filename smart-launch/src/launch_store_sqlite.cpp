#include <mutex>

#include "crdex/fhir/schema_migrations.hpp"
#include "crdex/fhir/sqlite_database.hpp"
#include "crdex/smart/launch_store.hpp"

namespace crdex::smart {

using fhir::SqliteStatement;
using fhir::SqliteStep;

namespace {

constexpr const char* kSqliteLaunchStoreName = "launch store";

// Migration 1 is the schema from before migrations (adopted in place).
constexpr fhir::SchemaMigration kSqliteLaunchMigrations[] = {
    {1, "launches by id hash, with their expiry", R"sql(
CREATE TABLE IF NOT EXISTS launches (
  id_hash    TEXT PRIMARY KEY,
  context    TEXT NOT NULL,
  client_id  TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS launches_by_expiry ON launches (expires_ms);
)sql"},
};

class SqliteLaunchStore final : public LaunchStore {
 public:
  SqliteLaunchStore(std::unique_ptr<fhir::SqliteDatabase> db, Clock clock)
      : LaunchStore(std::move(clock)), db_(std::move(db)) {}

  fhir::Result<int> purge_expired() override {
    std::lock_guard lock(mutex_);
    SqliteStatement s(*db_, "DELETE FROM launches WHERE expires_ms <= ?");
    if (!s.ok() || s.bind(1, now_ms()).step() != SqliteStep::done)
      return db_->error("cannot purge expired launches");
    return static_cast<int>(db_->changes());
  }

 protected:
  fhir::Result<bool> store_launch(const std::string& id_hash, const std::string& context_json,
                                  const std::string& client_id, int64_t created_ms, int64_t expires_ms) override {
    std::lock_guard lock(mutex_);
    // Expired rows go as new ones come, so the table stays as small as the
    // launches in flight.
    db_->exec(("DELETE FROM launches WHERE expires_ms <= " + std::to_string(created_ms)).c_str());
    SqliteStatement s(*db_, "INSERT INTO launches (id_hash, context, client_id, created_ms, expires_ms) "
                            "VALUES (?, ?, ?, ?, ?)");
    if (!s.ok() || s.bind(1, id_hash).bind(2, context_json).bind(3, client_id).bind(4, created_ms)
                           .bind(5, expires_ms).step() != SqliteStep::done)
      return db_->error("cannot store the launch");
    return true;
  }

  fhir::Result<TakenLaunch> take_launch(const std::string& id_hash, std::string_view client_id) override {
    std::lock_guard lock(mutex_);
    {
      // A launch bound to another client is refused without being consumed.
      SqliteStatement s(*db_, "SELECT client_id FROM launches WHERE id_hash = ?");
      if (!s.ok()) return db_->error("cannot read the launch");
      const SqliteStep step = s.bind(1, id_hash).step();
      if (step == SqliteStep::done) return detail::no_such_launch("no such launch (unknown, already used or expired)");
      if (step != SqliteStep::row) return db_->error("cannot read the launch");
      const std::string bound = s.text(0);
      if (!bound.empty() && bound != client_id)
        return fhir::Error{403, fhir::IssueType::security, "this launch is bound to another client", "client_id"};
    }
    // Read and delete in one statement: a launch id resolves exactly once.
    SqliteStatement s(*db_, "DELETE FROM launches WHERE id_hash = ? RETURNING context, expires_ms");
    if (!s.ok()) return db_->error("cannot consume the launch");
    const SqliteStep step = s.bind(1, id_hash).step();
    if (step == SqliteStep::done) return detail::no_such_launch("no such launch (unknown, already used or expired)");
    if (step != SqliteStep::row) return db_->error("cannot consume the launch");
    TakenLaunch taken{s.text(0), s.integer(1)};
    if (s.step() != SqliteStep::done) return db_->error("cannot consume the launch");
    return taken;
  }

 private:
  std::unique_ptr<fhir::SqliteDatabase> db_;
  std::mutex mutex_;
};

}  // namespace

fhir::Result<std::unique_ptr<LaunchStore>> LaunchStore::open(const std::filesystem::path& file, Clock clock) {
  // WAL: resolves (reads + deletes) never wait on readers; NORMAL is durable
  // across a crash of crdex (only a power loss may drop the last launches,
  // which the EHR then re-creates by asking again).
  auto db = fhir::SqliteDatabase::open(file, "",
                                       {.name = kSqliteLaunchStoreName,
                                        .busy_timeout_ms = 5'000,
                                        .synchronous = fhir::SqliteSync::normal,
                                        .foreign_keys = false});
  if (!db) return db.error();
  auto migrated = fhir::migrate_sqlite_schema(**db, kSqliteLaunchStoreName, kSqliteLaunchMigrations);
  if (!migrated) return migrated.error();
  std::unique_ptr<LaunchStore> store(new SqliteLaunchStore(std::move(db).value(), std::move(clock)));
  if (auto purged = store->purge_expired(); !purged) return purged.error();
  return store;
}

}  // namespace crdex::smart
