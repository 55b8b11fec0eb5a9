#pragma once
// Versioned schemas for the stores, on both back ends. Each store lists its
// migrations in order (1, 2, 3, ...); the database records, per store, the
// last one applied in the table `schema_version` (store, version,
// applied_at). At start-up the migrations the database lacks are applied in
// order, each store's under one lock so replicas starting together migrate
// once: SQLite, one BEGIN IMMEDIATE transaction on the store's file;
// PostgreSQL, pg_advisory_lock plus a transaction (its DDL is transactional),
// so a failed migration leaves the database as it was.
//
// A database whose schema is newer than the binary knows is refused with a
// message saying so: an older crdex-server must not write to tables it does
// not understand.
//
// Migration 1 of a store that existed before schema_version describes the
// tables as they were then with CREATE ... IF NOT EXISTS, so such a database
// is adopted as version 1 and migrated from there in place.

#include <span>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

class SqliteDatabase;
class PostgresConnection;

struct SchemaMigration {
  int version;          // 1, 2, 3, ... without gaps
  const char* summary;  // what it changes, for the log and the docs
  const char* sql;      // one or more statements
};

// The version the database is at after migrating (the last migration's).
Result<int> migrate_sqlite_schema(SqliteDatabase& db, std::string_view store,
                                  std::span<const SchemaMigration> migrations);
Result<int> migrate_postgres_schema(PostgresConnection& db, std::string_view store,
                                    std::span<const SchemaMigration> migrations);

// The refusal for a database newer than this binary (shared by both back ends).
Error schema_newer_than_binary(std::string_view store, int database_version, int binary_version);

}  // namespace crdex::fhir
