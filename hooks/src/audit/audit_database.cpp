#include "audit_database.hpp"

#include "crdex/fhir/schema_migrations.hpp"

namespace crdex::hooks::detail {

namespace {

// Migration 1: the schema before migrations existed (adopted in place).
// invocations: one row per hook call; request is the body without
// fhirAuthorization (NULL when the body was not a JSON object).
// card_origins: which payer rule produced each card crdex returned; kept as
// long as the invocation. feedback: what clinicians did with the cards; the
// attribution columns are filled from card_origins before a purge removes it.
constexpr const char* kMigration1 = R"sql(
CREATE TABLE IF NOT EXISTS invocations (
  id            INTEGER PRIMARY KEY,
  recorded_ms   INTEGER NOT NULL,
  recorded_at   TEXT NOT NULL,
  service       TEXT NOT NULL,
  hook          TEXT,
  hook_instance TEXT,
  patient       TEXT,
  payer         TEXT,
  status        INTEGER NOT NULL,
  duration_us   INTEGER NOT NULL,
  request       TEXT,
  response      TEXT NOT NULL,
  request_id    TEXT
);
CREATE INDEX IF NOT EXISTS invocations_by_hook_instance ON invocations (hook_instance);
CREATE INDEX IF NOT EXISTS invocations_by_patient ON invocations (patient, id);
CREATE INDEX IF NOT EXISTS invocations_by_time ON invocations (recorded_ms);
CREATE INDEX IF NOT EXISTS invocations_by_payer ON invocations (payer, id);
CREATE INDEX IF NOT EXISTS invocations_by_request_id ON invocations (request_id);
CREATE TABLE IF NOT EXISTS card_origins (
  card_uuid        TEXT PRIMARY KEY,
  invocation_id    INTEGER NOT NULL REFERENCES invocations (id) ON DELETE CASCADE,
  payer            TEXT NOT NULL,
  rule_set_version INTEGER NOT NULL,
  rule_id          TEXT NOT NULL,
  card_type        TEXT NOT NULL,
  order_ref        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS card_origins_by_invocation ON card_origins (invocation_id);
CREATE TABLE IF NOT EXISTS feedback (
  id                   INTEGER PRIMARY KEY,
  service              TEXT NOT NULL,
  card_uuid            TEXT NOT NULL,
  outcome              TEXT NOT NULL,
  outcome_timestamp    TEXT NOT NULL,
  accepted_suggestions TEXT NOT NULL,
  override_system      TEXT,
  override_code        TEXT,
  override_display     TEXT,
  user_comment         TEXT,
  received_at          TEXT NOT NULL,
  payer                TEXT,
  rule_set_version     INTEGER,
  rule_id              TEXT,
  card_type            TEXT,
  UNIQUE (card_uuid, outcome, outcome_timestamp)
);
)sql";

// Migration 2, the compact record (issue 17: under 1 KB per call):
// - invocations: no recorded_at (formatted from recorded_ms when read); a
//   compact record's hashes are 32-byte blobs with the sizes beside them,
//   `response` NULL (full bodies and refusals keep their text there);
// - card_origins: keyed by (invocation, card uuid as 16 bytes), so rows are
//   appended in call order and a purge is a range delete; no payer (the
//   invocation's); rule ids, card types and coverage decisions as numbers
//   into audit_terms (a few dozen distinct strings); no foreign key check
//   per insert (calls and their cards are removed together by the purge).
// Rows of earlier releases are copied over: their compact records keep the
// JSON text of their hashes in `response`.
constexpr const char* kMigration2 = R"sql(
ALTER TABLE invocations RENAME TO invocations_v1;
ALTER TABLE card_origins RENAME TO card_origins_v1;
CREATE TABLE invocations (
  id              INTEGER PRIMARY KEY,
  recorded_ms     INTEGER NOT NULL,
  service         TEXT NOT NULL,
  hook            TEXT,
  hook_instance   TEXT,
  patient         TEXT,
  payer           TEXT,
  status          INTEGER NOT NULL,
  duration_us     INTEGER NOT NULL,
  request_id      TEXT,
  request_sha256  BLOB,
  request_bytes   INTEGER,
  response_sha256 BLOB,
  response_bytes  INTEGER,
  request         TEXT,
  response        TEXT
);
INSERT INTO invocations (id, recorded_ms, service, hook, hook_instance, patient, payer, status, duration_us,
                         request_id, request, response)
  SELECT id, recorded_ms, service, hook, hook_instance, patient, payer, status, duration_us, request_id, request,
         response FROM invocations_v1;
CREATE TABLE audit_terms (
  id   INTEGER PRIMARY KEY,
  term TEXT NOT NULL UNIQUE
);
INSERT OR IGNORE INTO audit_terms (term) SELECT rule_id FROM card_origins_v1 UNION SELECT card_type FROM card_origins_v1;
CREATE TABLE card_origins (
  invocation_id    INTEGER NOT NULL,
  card_uuid        BLOB NOT NULL,
  rule_set_version INTEGER NOT NULL,
  rule_term        INTEGER NOT NULL,
  card_type_term   INTEGER NOT NULL,
  decision_term    INTEGER,
  order_ref        TEXT NOT NULL,
  PRIMARY KEY (invocation_id, card_uuid)
) WITHOUT ROWID;
INSERT OR IGNORE INTO card_origins (invocation_id, card_uuid, rule_set_version, rule_term, card_type_term, order_ref)
  SELECT o.invocation_id, uuid_key(o.card_uuid), o.rule_set_version, r.id, t.id, o.order_ref
  FROM card_origins_v1 o JOIN audit_terms r ON r.term = o.rule_id JOIN audit_terms t ON t.term = o.card_type;
DROP TABLE card_origins_v1;
DROP TABLE invocations_v1;
CREATE INDEX invocations_by_hook_instance ON invocations (hook_instance);
CREATE INDEX invocations_by_patient ON invocations (patient, id);
CREATE INDEX invocations_by_time ON invocations (recorded_ms);
CREATE INDEX invocations_by_payer ON invocations (payer, id);
CREATE INDEX invocations_by_request_id ON invocations (request_id);
CREATE INDEX card_origins_by_uuid ON card_origins (card_uuid);
)sql";

constexpr fhir::SchemaMigration kAuditMigrations[] = {
    {1, "invocations, card origins, feedback", kMigration1},
    {2, "compact records: hashes as blobs, card origins by call with uuids as 16 bytes and terms as numbers",
     kMigration2},
};

// A database made before request ids were recorded gets the column (NULL in
// its old rows) before migration 1 indexes it.
bool add_request_id_column(fhir::SqliteDatabase& db) {
  bool table = false;
  bool present = false;
  fhir::SqliteStatement exists(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'invocations'");
  if (!exists.each_row([&](const fhir::SqliteStatement&) { table = true; })) return false;
  if (!table) return true;
  fhir::SqliteStatement columns(db, "SELECT 1 FROM pragma_table_info('invocations') WHERE name = 'request_id'");
  if (!columns.each_row([&](const fhir::SqliteStatement&) { present = true; })) return false;
  return present || db.exec("ALTER TABLE invocations ADD COLUMN request_id TEXT");
}

}  // namespace

fhir::Result<std::unique_ptr<fhir::SqliteDatabase>> open_audit_database(const std::filesystem::path& file) {
  // The busy timeout: the writer thread and a feedback write may meet.
  // NORMAL (WAL): a commit is not synced; the WAL is synced at each
  // checkpoint. A crash of crdex loses nothing committed; a power loss or an
  // OS crash may lose the batches committed since the last checkpoint
  // (docs/operations.md). FULL cost one sync per batch on the writer thread.
  auto db = fhir::SqliteDatabase::open(file, "", {.name = "audit store", .synchronous = fhir::SqliteSync::normal});
  if (!db) return db;
  // uuid_key(): card uuids are stored as 16 bytes, feedback names them as text.
  if (!(*db)->define_uuid_key_function()) return (*db)->error("cannot define uuid_key");
  if (!add_request_id_column(**db)) return (*db)->error("cannot add the request_id column");
  auto migrated = fhir::migrate_sqlite_schema(**db, "audit store", kAuditMigrations);
  if (!migrated) return migrated.error();
  return db;
}

}  // namespace crdex::hooks::detail
