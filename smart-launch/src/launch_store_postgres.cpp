#include <mutex>

#include "crdex/fhir/postgres_connection.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "launch_store_backends.hpp"

namespace crdex::smart {

namespace {

constexpr const char* kPostgresLaunchStoreName = "launch store";

constexpr fhir::SchemaMigration kPostgresLaunchMigrations[] = {
    {1, "launches by id hash, with their expiry", R"sql(
CREATE TABLE launches (
  id_hash    TEXT PRIMARY KEY,
  context    TEXT NOT NULL,
  client_id  TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE INDEX launches_by_expiry ON launches (expires_ms);
)sql"},
};

// Launches every replica shares: a launch created through one replica
// resolves through any, exactly once (one DELETE ... RETURNING).
class PostgresLaunchStore final : public LaunchStore {
 public:
  PostgresLaunchStore(std::unique_ptr<fhir::PostgresConnection> db, Clock clock)
      : LaunchStore(std::move(clock)), db_(std::move(db)) {}

  fhir::Result<int> purge_expired() override {
    std::lock_guard lock(mutex_);
    auto purged = db_->query("cannot purge expired launches", "DELETE FROM launches WHERE expires_ms <= $1",
                             {std::to_string(now_ms())});
    if (!purged) return purged.error();
    return static_cast<int>(purged->changed());
  }

 protected:
  fhir::Result<bool> store_launch(const std::string& id_hash, const std::string& context_json,
                                  const std::string& client_id, int64_t created_ms, int64_t expires_ms) override {
    std::lock_guard lock(mutex_);
    (void)db_->query("cannot purge expired launches", "DELETE FROM launches WHERE expires_ms <= $1",
                     {std::to_string(created_ms)});
    auto stored = db_->query("cannot store the launch",
                             "INSERT INTO launches (id_hash, context, client_id, created_ms, expires_ms) "
                             "VALUES ($1, $2, $3, $4, $5)",
                             {id_hash, context_json, client_id, std::to_string(created_ms),
                              std::to_string(expires_ms)});
    if (!stored) return stored.error();
    return true;
  }

  fhir::Result<TakenLaunch> take_launch(const std::string& id_hash, std::string_view client_id) override {
    std::lock_guard lock(mutex_);
    // Taken only by the client it is bound to (or by anyone when unbound),
    // in one statement: two replicas resolving one id cannot both get it.
    auto taken = db_->query("cannot consume the launch",
                            "DELETE FROM launches WHERE id_hash = $1 AND (client_id = '' OR client_id = $2) "
                            "RETURNING context, expires_ms",
                            {id_hash, std::string(client_id)});
    if (!taken) return taken.error();
    if (taken->rows() == 1) return TakenLaunch{taken->text(0, 0), taken->integer(0, 1)};
    auto bound = db_->query("cannot read the launch", "SELECT 1 FROM launches WHERE id_hash = $1", {id_hash});
    if (!bound) return bound.error();
    if (bound->rows() == 1)
      return fhir::Error{403, fhir::IssueType::security, "this launch is bound to another client", "client_id"};
    return detail::no_such_launch("no such launch (unknown, already used or expired)");
  }

 private:
  std::unique_ptr<fhir::PostgresConnection> db_;
  std::mutex mutex_;
};

}  // namespace

namespace detail {

fhir::Result<std::unique_ptr<LaunchStore>> open_postgres_launch_store(const std::string& url,
                                                                      LaunchStore::Clock clock) {
  auto db = fhir::PostgresConnection::open(url, kPostgresLaunchStoreName);
  if (!db) return db.error();
  auto migrated = fhir::migrate_postgres_schema(**db, kPostgresLaunchStoreName, kPostgresLaunchMigrations);
  if (!migrated) return migrated.error();
  std::unique_ptr<LaunchStore> store(new PostgresLaunchStore(std::move(db).value(), std::move(clock)));
  if (auto purged = store->purge_expired(); !purged) return purged.error();
  return store;
}

}  // namespace detail

}  // namespace crdex::smart
