#pragma once
// The rule store's schema, as ordered migrations for each back end (see
// fhir/schema_migrations.hpp). Migration 1 is the schema the store had before
// migrations existed (CREATE ... IF NOT EXISTS), so such a database is
// adopted in place; 2 adds the change generation replicas compare.

#include "crdex/fhir/schema_migrations.hpp"

namespace crdex::config::detail {

inline constexpr const char* kRuleStoreName = "rule store";

inline constexpr fhir::SchemaMigration kSqliteRuleMigrations[] = {
    {1, "rule set versions, current pointers, publishers", R"sql(
CREATE TABLE IF NOT EXISTS rule_set_versions (
  payer_id   TEXT NOT NULL,
  version    INTEGER NOT NULL,
  author     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  checksum   TEXT NOT NULL,
  comment    TEXT NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (payer_id, version)
);
CREATE TABLE IF NOT EXISTS current_rule_sets (
  payer_id   TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  changed_at TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  FOREIGN KEY (payer_id, version) REFERENCES rule_set_versions (payer_id, version)
);
CREATE TABLE IF NOT EXISTS publishers (
  payer_id   TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE
);
)sql"},
    {2, "the change generation", R"sql(
CREATE TABLE rule_changes (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
);
INSERT INTO rule_changes (id, generation) VALUES (1, (SELECT COUNT(*) FROM current_rule_sets));
)sql"},
};

inline constexpr fhir::SchemaMigration kPostgresRuleMigrations[] = {
    {1, "rule set versions, current pointers, publishers", R"sql(
CREATE TABLE IF NOT EXISTS rule_set_versions (
  payer_id   TEXT NOT NULL,
  version    INTEGER NOT NULL,
  author     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  checksum   TEXT NOT NULL,
  comment    TEXT NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (payer_id, version)
);
CREATE TABLE IF NOT EXISTS current_rule_sets (
  payer_id   TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  changed_at TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  FOREIGN KEY (payer_id, version) REFERENCES rule_set_versions (payer_id, version)
);
CREATE TABLE IF NOT EXISTS publishers (
  payer_id   TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE
);
)sql"},
    {2, "the change generation", R"sql(
CREATE TABLE rule_changes (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  generation BIGINT NOT NULL
);
INSERT INTO rule_changes (id, generation) VALUES (1, (SELECT COUNT(*) FROM current_rule_sets));
)sql"},
};

// The channel a PostgreSQL rule store announces changes on.
inline constexpr const char* kRuleChangeChannel = "crdex_rules";

}  // namespace crdex::config::detail
