#include "crdex/fhir/postgres_connection.hpp"
#include "crdex/fhir/schema_migrations.hpp"

namespace crdex::fhir {

namespace {

// The advisory lock every crdex replica takes while migrating ("crdx").
constexpr const char* kMigrationLock = "SELECT pg_advisory_lock(1668441208)";
constexpr const char* kMigrationUnlock = "SELECT pg_advisory_unlock(1668441208)";

// Holds the session-level advisory lock for its lifetime.
class PostgresMigrationLock {
 public:
  explicit PostgresMigrationLock(PostgresConnection& db) : db_(db) {
    locked_ = db_.query("cannot take the migration lock", kMigrationLock).ok();
  }
  ~PostgresMigrationLock() {
    if (locked_) (void)db_.query("cannot release the migration lock", kMigrationUnlock);
  }
  PostgresMigrationLock(const PostgresMigrationLock&) = delete;
  PostgresMigrationLock& operator=(const PostgresMigrationLock&) = delete;
  bool locked() const { return locked_; }

 private:
  PostgresConnection& db_;
  bool locked_ = false;
};

}  // namespace

Result<int> migrate_postgres_schema(PostgresConnection& db, std::string_view store,
                                    std::span<const SchemaMigration> migrations) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  PostgresMigrationLock lock(db);
  if (!lock.locked()) return db.error("cannot take the migration lock");
  PostgresTransaction transaction(db);
  if (!transaction.begun()) return db.error("cannot begin the schema migration");
  if (auto created = db.exec("cannot create the schema_version table",
                             "CREATE TABLE IF NOT EXISTS schema_version (store TEXT PRIMARY KEY, "
                             "version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
      !created)
    return created.error();
  auto read = db.query("cannot read the schema version", "SELECT version FROM schema_version WHERE store = $1",
                       {std::string(store)});
  if (!read) return read.error();
  const int current = read->rows() > 0 ? static_cast<int>(read->integer(0, 0)) : 0;
  if (current > latest) return schema_newer_than_binary(store, current, latest);
  if (current == latest) return current;
  for (const auto& migration : migrations) {
    if (migration.version <= current) continue;
    if (auto applied = db.exec("cannot apply schema migration " + std::to_string(migration.version) + " (" +
                                   migration.summary + ")",
                               migration.sql);
        !applied)
      return applied.error();
  }
  if (auto recorded = db.query("cannot record the schema version",
                               "INSERT INTO schema_version (store, version, applied_at) "
                               "VALUES ($1, $2, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) "
                               "ON CONFLICT (store) DO UPDATE SET version = excluded.version, "
                               "applied_at = excluded.applied_at",
                               {std::string(store), std::to_string(latest)});
      !recorded)
    return recorded.error();
  if (!transaction.commit()) return db.error("cannot commit the schema migration");
  return latest;
}

}  // namespace crdex::fhir
