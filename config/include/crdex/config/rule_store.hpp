#pragma once
// RuleStore: every version of every payer's rule set, with the pointer to
// each payer's current version and the hashes of the payers' publisher
// tokens. Two implementations behind one interface, chosen by `--store`:
// SQLite (WAL) under the data directory (`rules.sqlite`, the embedded
// default) and PostgreSQL (shared by replicas).
//
// A publish or a rollback is one transaction: after a crash (even SIGKILL in
// the middle) the store holds either the old or the new current version,
// never a mix. Each one also advances the store's change generation, which
// replicas compare to know their catalog is stale (RuleSync), and on
// PostgreSQL announces itself (NOTIFY) so they need not wait for the next
// comparison. Tokens are never stored, only their SHA-256.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/config/rule_change_feed.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"

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
  // Opens (creating and migrating if needed) the SQLite database file.
  static fhir::Result<std::unique_ptr<RuleStore>> open(const std::filesystem::path& file);
  virtual ~RuleStore() = default;
  RuleStore(const RuleStore&) = delete;
  RuleStore& operator=(const RuleStore&) = delete;

  // Whether no payer has a current version yet (start-up seeds such a store).
  virtual fhir::Result<bool> empty() = 0;

  // Stores `document` as the payer's next version and makes it current, in
  // one transaction. The caller has validated the document.
  virtual fhir::Result<StoredRuleSet> publish(std::string_view payer_id, std::string_view document,
                                              std::string_view author, std::string_view comment) = 0;
  // Publishes several payers' sets (payer_id, document, author, comment of
  // each) in one transaction: seeding an empty store from files.
  virtual fhir::Result<std::vector<StoredRuleSet>> publish_all(const std::vector<StoredRuleSet>& sets) = 0;
  // Makes an existing version current again (404 when there is no such version).
  virtual fhir::Result<StoredRuleSet> make_current(std::string_view payer_id, int version,
                                                   std::string_view author) = 0;

  // Every version of the payer, newest first, without documents.
  virtual fhir::Result<std::vector<StoredRuleSet>> versions(std::string_view payer_id) = 0;
  // One version with its document (404 when absent).
  virtual fhir::Result<StoredRuleSet> version(std::string_view payer_id, int version) = 0;
  // The payer's current version with its document (404 when none).
  virtual fhir::Result<StoredRuleSet> current(std::string_view payer_id) = 0;
  // Every payer's current version with its document, by payer id.
  virtual fhir::Result<std::vector<StoredRuleSet>> all_current() = 0;

  // A number every publish, publish_all and rollback advances (in the same
  // transaction): equal numbers mean the same current versions.
  virtual fhir::Result<int64_t> generation() = 0;
  // Announcements of changes made through any connection (any replica), or
  // nullptr when this back end has none (then only generation() tells).
  virtual fhir::Result<std::unique_ptr<RuleChangeFeed>> change_feed() = 0;

  // Sets (replaces) the hash of the payer's publisher token.
  virtual fhir::Result<bool> set_publisher_token(std::string_view payer_id, std::string_view token) = 0;
  // The payer whose publisher token this is, or nullopt.
  virtual fhir::Result<std::optional<std::string>> payer_of_token(std::string_view token) = 0;

 protected:
  RuleStore() = default;
};

// The rule store `--store` names: rules.sqlite under the SQLite directory, or
// the PostgreSQL database (its tables created or migrated on opening).
fhir::Result<std::unique_ptr<RuleStore>> open_rule_store(const fhir::StoreLocation& location);

// "sha256:<hex>" of `data`.
std::string sha256_checksum(std::string_view data);
// A fresh random publisher token (256 bits, hex).
std::string new_publisher_token();

}  // namespace crdex::config
