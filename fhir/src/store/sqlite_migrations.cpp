#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::fhir {

Error schema_newer_than_binary(std::string_view store, int database_version, int binary_version) {
  return Error{500, IssueType::exception,
               std::string(store) + ": the database's schema is version " + std::to_string(database_version) +
                   ", newer than this crdex knows (" + std::to_string(binary_version) +
                   "); run the crdex release that migrated it, or restore a backup taken before the upgrade",
               ""};
}

Result<int> migrate_sqlite_schema(SqliteDatabase& db, std::string_view store,
                                  std::span<const SchemaMigration> migrations) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  // The write lock up front: another process opening the same file waits
  // (busy timeout) and then finds the migrations done.
  SqliteTransaction transaction(db);
  if (!transaction.begun()) return db.error("cannot begin the schema migration");
  if (!db.exec("CREATE TABLE IF NOT EXISTS schema_version (store TEXT PRIMARY KEY, version INTEGER NOT NULL, "
               "applied_at TEXT NOT NULL)"))
    return db.error("cannot create the schema_version table");
  int current = 0;
  {
    SqliteStatement s(db, "SELECT version FROM schema_version WHERE store = ?");
    const SqliteStep rc = s.bind(1, store).step();
    if (rc == SqliteStep::row) current = static_cast<int>(s.integer(0));
    else if (rc != SqliteStep::done) return db.error("cannot read the schema version");
  }
  if (current > latest) return schema_newer_than_binary(store, current, latest);
  if (current == latest) return current;
  for (const auto& migration : migrations) {
    if (migration.version <= current) continue;
    if (!db.exec(migration.sql))
      return db.error("cannot apply schema migration " + std::to_string(migration.version) + " (" +
                      migration.summary + ")");
  }
  SqliteStatement s(db,
                    "INSERT INTO schema_version (store, version, applied_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (store) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at");
  if (!s.bind(1, store).bind(2, static_cast<int64_t>(latest)).bind(3, now_instant()).run())
    return db.error("cannot record the schema version");
  if (!transaction.commit()) return db.error("cannot commit the schema migration");
  return latest;
}

}  // namespace crdex::fhir
