#pragma once
// The audit and feedback stores' PostgreSQL back ends, opened by
// open_audit_store and open_feedback_store (SQLite: AuditStore::open and
// FeedbackStore::open), and the PostgreSQL schema both share.

#include <memory>
#include <string>

#include "crdex/fhir/postgres_connection.hpp"
#include "crdex/hooks/audit_store.hpp"
#include "crdex/hooks/feedback_store.hpp"

namespace crdex::hooks::detail {

// A connection to the database at `url` with the audit schema migrated
// (tables audit_invocations, audit_card_origins, audit_terms, audit_feedback:
// prefixed so they sit beside the other stores' tables in one database).
fhir::Result<std::unique_ptr<fhir::PostgresConnection>> open_postgres_audit_database(const std::string& url);

fhir::Result<std::unique_ptr<AuditStore>> open_postgres_audit_store(const std::string& url);
fhir::Result<std::unique_ptr<FeedbackStore>> open_postgres_feedback_store(const std::string& url);

// bytea as a text parameter ("\x" and hex digits) and back from a text result.
std::string bytea_param(const std::string& bytes);
std::string bytes_of_bytea(const std::string& text);

}  // namespace crdex::hooks::detail
