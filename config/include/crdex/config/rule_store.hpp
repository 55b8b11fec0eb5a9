#pragma once
// RuleStore: every version of every payer's rule set, durable in SQLite (WAL)
// under crdex's --data directory, with the pointer to each payer's current
// version and the hashes of the payers' publisher tokens.
//
// A publish or a rollback is one transaction: after a crash (even SIGKILL in
// the middle) the store holds either the old or the new current version,
// never a mix. Tokens are never stored, only their SHA-256.

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::config {

struct StoredRuleSet {
  std::string payer_id;
  int version = 0;
  std::string author;
  std::string created_at;  // UTC, ISO 8601
  std::string checksum;    // "sha256:<hex>" of the document
  std::string comment;
  std::string document;  // the rule set JSON as published (empty in listings)
  bool current = false;
};

class RuleStore {
 public:
  // Opens (creating if needed) the database file.
  static fhir::Result<std::unique_ptr<RuleStore>> open(const std::filesystem::path& file);
  ~RuleStore();
  RuleStore(const RuleStore&) = delete;
  RuleStore& operator=(const RuleStore&) = delete;

  // Whether no payer has a current version yet (start-up seeds such a store).
  fhir::Result<bool> empty();

  // Stores `document` as the payer's next version and makes it current, in
  // one transaction. The caller has validated the document.
  fhir::Result<StoredRuleSet> publish(std::string_view payer_id, std::string_view document, std::string_view author,
                                      std::string_view comment);
  // Publishes several payers' sets (payer_id, document, author, comment of
  // each) in one transaction: seeding an empty store from files.
  fhir::Result<std::vector<StoredRuleSet>> publish_all(const std::vector<StoredRuleSet>& sets);
  // Makes an existing version current again (404 when there is no such version).
  fhir::Result<StoredRuleSet> make_current(std::string_view payer_id, int version, std::string_view author);

  // Every version of the payer, newest first, without documents.
  fhir::Result<std::vector<StoredRuleSet>> versions(std::string_view payer_id);
  // One version with its document (404 when absent).
  fhir::Result<StoredRuleSet> version(std::string_view payer_id, int version);
  // The payer's current version with its document (404 when none).
  fhir::Result<StoredRuleSet> current(std::string_view payer_id);
  // Every payer's current version with its document, by payer id.
  fhir::Result<std::vector<StoredRuleSet>> all_current();

  // Sets (replaces) the hash of the payer's publisher token.
  fhir::Result<bool> set_publisher_token(std::string_view payer_id, std::string_view token);
  // The payer whose publisher token this is, or nullopt.
  fhir::Result<std::optional<std::string>> payer_of_token(std::string_view token);

 private:
  explicit RuleStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}
  // Inside a transaction, with the mutex held.
  fhir::Result<StoredRuleSet> insert_version(std::string_view payer_id, std::string_view document,
                                             std::string_view author, std::string_view comment);
  std::mutex mutex_;  // one connection, one statement sequence at a time
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

// "sha256:<hex>" of `data`.
std::string sha256_checksum(std::string_view data);
// A fresh random publisher token (256 bits, hex).
std::string new_publisher_token();

}  // namespace crdex::config
