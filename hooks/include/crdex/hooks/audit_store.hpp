#pragma once
// AuditStore: the hook call log, in SQLite (--data DIR/audit.sqlite, WAL) or
// in the PostgreSQL database replicas share (`--store postgresql://...`),
// where every replica's calls land in the same tables and every replica's
// admin API reads them all. The AuditLog's writer thread is a replica's only
// writer; admin reads, the rules API's recorded dry run and purges go through
// the same class on their own connection.
//
// What is common to both back ends lives here: redaction and hashing of a
// batch, the term numbers of card origins (rule ids, card types, decisions:
// a few dozen distinct strings, cached once committed), and how a stored row
// reads back (a compact record's hashes as the JSON the admin API has always
// shown). A back end only stores and reads rows (audit_store_sqlite.cpp,
// audit_store_postgres.cpp) and gives the same answers: same filters, same
// order (by id), same fields.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"
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
  // The SQLite store in `file` (created or migrated if needed).
  static fhir::Result<std::unique_ptr<AuditStore>> open(const std::filesystem::path& file);
  virtual ~AuditStore();
  AuditStore(const AuditStore&) = delete;
  AuditStore& operator=(const AuditStore&) = delete;

  // Stores a batch in one transaction, each request redacted first.
  fhir::Result<size_t> write(const std::vector<AuditRecord>& batch);

  fhir::Result<std::vector<AuditEntry>> find(const AuditQuery& query);

  // The payer's last `count` answered (200) calls, newest first.
  fhir::Result<std::vector<AuditEntry>> last_answered(const std::string& payer_id, int count);

  // Removes calls recorded before `cutoff_ms` with their card origins; the
  // feedback on their cards keeps its attribution. Returns how many calls.
  virtual fhir::Result<int64_t> purge_before(int64_t cutoff_ms) = 0;

  // Bytes in use by the calls, card origins and feedback. SQLite: the
  // database's pages in use (page count less free pages, WAL not included).
  // PostgreSQL: the rows' size as stored (the newest calls' average, card
  // origins included, times the calls kept); its files keep their high-water
  // mark, VACUUM reusing the space, so they cannot measure a purge.
  virtual fhir::Result<uint64_t> used_bytes() = 0;

  // Removes the oldest `count` calls, as purge_before does. Returns how many.
  virtual fhir::Result<int64_t> purge_oldest(int64_t count) = 0;

  // Calls stored (the span of their ids: calls are only ever removed oldest first).
  virtual fhir::Result<int64_t> call_count() = 0;

 protected:
  AuditStore() = default;

  // A card origin as stored: the uuid as 16 bytes (the text when it is not a
  // UUID), terms as numbers (decision_term 0: none).
  struct CardRow {
    std::string card_key;
    int64_t rule_set_version = 0;
    int64_t rule_term = 0;
    int64_t card_type_term = 0;
    int64_t decision_term = 0;
    std::string order_ref;
  };
  // A call as stored ("" is NULL for the optional text columns). A compact
  // record has its hashes (32 bytes each) and sizes and no bodies; a full
  // one has its redacted request ("" when not a JSON object) and response.
  struct CallRow {
    int64_t id = 0;  // as read; ignored when written
    int64_t recorded_ms = 0;
    std::string service, hook, hook_instance, patient, payer;
    int64_t status = 0;
    int64_t duration_us = 0;
    std::string request_id;
    bool compact = false;
    std::string request_sha256, response_sha256;
    int64_t request_bytes = 0, response_bytes = 0;
    std::optional<std::string> request;  // nullopt: NULL
    std::optional<std::string> response;
    std::vector<CardRow> cards;  // written only
  };

  // Stores the calls and their card origins in one transaction.
  virtual fhir::Result<bool> store_calls(const std::vector<CallRow>& calls) = 0;
  // The numbers of `terms` in the terms table, each added when new. Safe
  // when two replicas add the same term at once: both get the one number.
  virtual fhir::Result<std::map<std::string, int64_t>> term_ids(const std::vector<std::string>& terms) = 0;
  virtual fhir::Result<std::vector<CallRow>> find_calls(const AuditQuery& query) = 0;
  // The payer's last `count` calls with status 200 and a request kept, newest first.
  virtual fhir::Result<std::vector<CallRow>> last_answered_calls(const std::string& payer_id, int count) = 0;

 private:
  static AuditEntry entry_of(CallRow row);
  std::mutex terms_mutex_;
  std::map<std::string, int64_t> terms_;  // committed terms (terms never go away)
};

// The audit store `--store` names: audit.sqlite under the SQLite directory,
// or the PostgreSQL database (tables audit_invocations, audit_card_origins,
// audit_terms, audit_feedback).
fhir::Result<std::unique_ptr<AuditStore>> open_audit_store(const fhir::StoreLocation& location);

}  // namespace crdex::hooks
