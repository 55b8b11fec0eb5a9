#pragma once
// AuditStore: the hook call log in SQLite (--data DIR/audit.sqlite, WAL).
// The AuditLog's writer thread is its only writer; admin reads, the rules
// API's recorded dry run and purges go through the same class on their own
// connection.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"
#include "crdex/hooks/audit_record.hpp"

namespace crdex::hooks {

// Filters of an audit search; empty / unset ones do not filter. Results are
// in recording order (oldest first), from the record after `after_id`.
struct AuditQuery {
  std::string hook_instance;
  std::string patient_id;
  std::string payer_id;
  std::string request_id;
  std::optional<int64_t> from_ms;  // inclusive
  std::optional<int64_t> to_ms;    // exclusive
  int64_t after_id = 0;
  int limit = 50;
};

class AuditStore {
 public:
  static fhir::Result<std::unique_ptr<AuditStore>> open(const std::filesystem::path& file);
  ~AuditStore();
  AuditStore(const AuditStore&) = delete;
  AuditStore& operator=(const AuditStore&) = delete;

  // Stores a batch in one transaction, each request redacted first.
  fhir::Result<size_t> write(const std::vector<AuditRecord>& batch);

  fhir::Result<std::vector<AuditEntry>> find(const AuditQuery& query);

  // The payer's last `count` answered (200) calls, newest first.
  fhir::Result<std::vector<AuditEntry>> last_answered(const std::string& payer_id, int count);

  // Removes calls recorded before `cutoff_ms` with their card origins; the
  // feedback on their cards keeps its attribution. Returns how many calls.
  fhir::Result<int64_t> purge_before(int64_t cutoff_ms);

  // Bytes of the database's pages in use (page count less free pages, WAL
  // not included): what the calls, card origins and feedback take.
  fhir::Result<uint64_t> used_bytes();

  // Removes the oldest `count` calls, as purge_before does. Returns how many.
  fhir::Result<int64_t> purge_oldest(int64_t count);

  // Calls stored (the span of their ids: calls are only ever removed oldest first).
  fhir::Result<int64_t> call_count();

 private:
  explicit AuditStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}
  // Removes the calls whose `column` ("recorded_ms" or "id") is below `value`.
  fhir::Result<int64_t> purge_below(const std::string& column, int64_t value);
  fhir::Result<int64_t> single_integer(const char* sql);
  // The id of `term` in audit_terms, added when new (inside the write's
  // transaction; remembered in `terms_` once it committed). 0 on failure.
  int64_t term_id(const std::string& term, std::map<std::string, int64_t>& added);
  std::map<std::string, int64_t> terms_;  // committed terms (the writer's connection)
  std::mutex mutex_;  // one statement sequence at a time on this connection
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace crdex::hooks
