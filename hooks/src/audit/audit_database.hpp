#pragma once
// The audit database (--data DIR/audit.sqlite) and its schema, shared by the
// audit and feedback stores. Each store opens its own connection; WAL lets
// the audit writer thread and the readers (admin API, feedback) work side by
// side.

#include <filesystem>
#include <memory>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::hooks::detail {

// Opens (creating if needed) the database with the whole audit schema.
fhir::Result<std::unique_ptr<fhir::SqliteDatabase>> open_audit_database(const std::filesystem::path& file);

}  // namespace crdex::hooks::detail
