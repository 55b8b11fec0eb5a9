#include "audit_store_backends.hpp"
#include "crdex/fhir/schema_migrations.hpp"

namespace crdex::hooks::detail {

namespace {

constexpr const char* kPostgresAuditStoreName = "audit store";

// The schema SQLite reached at its migration 2 (audit_database.cpp), with
// the tables prefixed: audit_invocations (one row per hook call; a compact
// record's hashes as 32-byte bytea), audit_terms (rule ids, card types and
// decisions as numbers), audit_card_origins (by call, card uuids as 16
// bytes) and audit_feedback, which keeps its card's key as bytes beside the
// uuid text so it joins card origins on an index.
constexpr fhir::SchemaMigration kPostgresAuditMigrations[] = {
    {1, "calls with compact records, card origins by call, terms as numbers, feedback", R"sql(
CREATE TABLE audit_invocations (
  id              BIGSERIAL PRIMARY KEY,
  recorded_ms     BIGINT NOT NULL,
  service         TEXT NOT NULL,
  hook            TEXT,
  hook_instance   TEXT,
  patient         TEXT,
  payer           TEXT,
  status          INTEGER NOT NULL,
  duration_us     BIGINT NOT NULL,
  request_id      TEXT,
  request_sha256  BYTEA,
  request_bytes   BIGINT,
  response_sha256 BYTEA,
  response_bytes  BIGINT,
  request         TEXT,
  response        TEXT
);
CREATE INDEX audit_invocations_by_hook_instance ON audit_invocations (hook_instance);
CREATE INDEX audit_invocations_by_patient ON audit_invocations (patient, id);
CREATE INDEX audit_invocations_by_time ON audit_invocations (recorded_ms);
CREATE INDEX audit_invocations_by_payer ON audit_invocations (payer, id);
CREATE INDEX audit_invocations_by_request_id ON audit_invocations (request_id);
CREATE TABLE audit_terms (
  id   BIGSERIAL PRIMARY KEY,
  term TEXT NOT NULL UNIQUE
);
CREATE TABLE audit_card_origins (
  invocation_id    BIGINT NOT NULL,
  card_uuid        BYTEA NOT NULL,
  rule_set_version INTEGER NOT NULL,
  rule_term        BIGINT NOT NULL,
  card_type_term   BIGINT NOT NULL,
  decision_term    BIGINT,
  order_ref        TEXT NOT NULL,
  PRIMARY KEY (invocation_id, card_uuid)
);
CREATE INDEX audit_card_origins_by_uuid ON audit_card_origins (card_uuid);
CREATE TABLE audit_feedback (
  id                   BIGSERIAL PRIMARY KEY,
  service              TEXT NOT NULL,
  card_uuid            TEXT NOT NULL,
  card_key             BYTEA NOT NULL,
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
CREATE INDEX audit_feedback_by_card ON audit_feedback (card_key);
)sql"},
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

fhir::Result<std::unique_ptr<fhir::PostgresConnection>> open_postgres_audit_database(const std::string& url) {
  auto db = fhir::PostgresConnection::open(url, kPostgresAuditStoreName);
  if (!db) return db.error();
  // Hashes and card keys are read as "\x" + hex, whatever the server's default.
  if (auto set = (*db)->run_on_every_session("cannot prepare the session", "SET bytea_output = 'hex'"); !set)
    return set.error();
  auto migrated = fhir::migrate_postgres_schema(**db, kPostgresAuditStoreName, kPostgresAuditMigrations);
  if (!migrated) return migrated.error();
  return db;
}

std::string bytea_param(const std::string& bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (const char c : bytes) {
    out += hex[static_cast<unsigned char>(c) >> 4];
    out += hex[static_cast<unsigned char>(c) & 0x0f];
  }
  return out;
}

std::string bytes_of_bytea(const std::string& text) {
  // bytea_output is hex (PostgreSQL's default since 9.0): "\x" then two digits a byte.
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') return {};
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i + 1 < text.size(); i += 2) {
    const int high = hex_digit(text[i]);
    const int low = hex_digit(text[i + 1]);
    if (high < 0 || low < 0) return {};
    out += static_cast<char>((high << 4) | low);
  }
  return out;
}

}  // namespace crdex::hooks::detail
