#pragma once
// The SQLite audit database (audit.sqlite beside the other stores) and its
// schema, shared by the audit and feedback stores' SQLite back ends (the
// PostgreSQL schema: audit_postgres_schema.cpp). Each store opens its own
// connection; WAL lets the audit writer thread and the readers (admin API,
// feedback) work side by side.

#include <filesystem>
#include <memory>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::hooks::detail {

// Opens (creating if needed) the database with the whole audit schema.
fhir::Result<std::unique_ptr<fhir::SqliteDatabase>> open_audit_database(const std::filesystem::path& file);

}  // namespace crdex::hooks::detail
