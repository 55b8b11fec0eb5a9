#include "audit_database.hpp"

namespace crdex::hooks::detail {

namespace {

// invocations: one row per hook call; request is the body without
// fhirAuthorization (NULL when the body was not a JSON object).
// card_origins: which payer rule produced each card crdex returned; kept as
// long as the invocation. feedback: what clinicians did with the cards; the
// attribution columns are filled from card_origins before a purge removes it.
constexpr const char* kSchema = R"sql(
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

// A database made before request ids were recorded gets the column (NULL in
// its old rows); its index is made here, once the column surely exists.
bool add_request_id_column(fhir::SqliteDatabase& db) {
  bool present = false;
  fhir::SqliteStatement columns(db, "SELECT 1 FROM pragma_table_info('invocations') WHERE name = 'request_id'");
  if (!columns.each_row([&](const fhir::SqliteStatement&) { present = true; })) return false;
  if (!present && !db.exec("ALTER TABLE invocations ADD COLUMN request_id TEXT")) return false;
  return db.exec("CREATE INDEX IF NOT EXISTS invocations_by_request_id ON invocations (request_id)");
}

}  // namespace

fhir::Result<std::unique_ptr<fhir::SqliteDatabase>> open_audit_database(const std::filesystem::path& file) {
  // The busy timeout: the writer thread and a feedback write may meet. FULL:
  // a committed batch survives a power loss; batching keeps that to one sync
  // per batch, not per call.
  auto db = fhir::SqliteDatabase::open(file, kSchema, {.name = "audit store"});
  if (db && !add_request_id_column(**db)) return (*db)->error("cannot add the request_id column");
  return db;
}

}  // namespace crdex::hooks::detail
