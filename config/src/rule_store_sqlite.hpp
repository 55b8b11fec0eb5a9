#pragma once
// The embedded rule store: one SQLite file (WAL) under the data directory,
// one connection behind a mutex. Opened by RuleStore::open.

#include <mutex>

#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::config {

class SqliteRuleStore final : public RuleStore {
 public:
  explicit SqliteRuleStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}

  fhir::Result<bool> empty() override;
  fhir::Result<StoredRuleSet> publish(std::string_view payer_id, std::string_view document, std::string_view author,
                                      std::string_view comment) override;
  fhir::Result<std::vector<StoredRuleSet>> publish_all(const std::vector<StoredRuleSet>& sets) override;
  fhir::Result<StoredRuleSet> make_current(std::string_view payer_id, int version, std::string_view author) override;
  fhir::Result<std::vector<StoredRuleSet>> versions(std::string_view payer_id) override;
  fhir::Result<StoredRuleSet> version(std::string_view payer_id, int version) override;
  fhir::Result<StoredRuleSet> current(std::string_view payer_id) override;
  fhir::Result<std::vector<StoredRuleSet>> all_current() override;
  fhir::Result<int64_t> generation() override;
  fhir::Result<std::unique_ptr<RuleChangeFeed>> change_feed() override;
  fhir::Result<bool> set_publisher_token(std::string_view payer_id, std::string_view token) override;
  fhir::Result<std::optional<std::string>> payer_of_token(std::string_view token) override;

 private:
  // Inside a transaction, with the mutex held.
  fhir::Result<StoredRuleSet> insert_version(std::string_view payer_id, std::string_view document,
                                             std::string_view author, std::string_view comment);
  bool advance_generation();
  std::mutex mutex_;  // one connection, one statement sequence at a time
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace crdex::config
