#pragma once
// The shared rule store: the same tables in a PostgreSQL database every
// replica connects to. Publishes from several replicas at once are
// serialized by the row lock on rule_changes, taken first in each writing
// transaction (so version numbers never collide); each commit announces
// itself on the channel `crdex_rules` (NOTIFY is delivered only on commit).

#include <mutex>
#include <string>

#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/postgres_connection.hpp"

namespace crdex::config {

class PostgresRuleStore final : public RuleStore {
 public:
  // Connects to `url` and migrates the rule store's tables.
  static fhir::Result<std::unique_ptr<RuleStore>> open(const std::string& url);

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
  PostgresRuleStore(std::unique_ptr<fhir::PostgresConnection> db, std::string url)
      : db_(std::move(db)), url_(std::move(url)) {}
  // Inside a transaction, with the mutex held: takes the writers' lock and
  // advances the generation, then announces (on commit).
  fhir::Result<bool> begin_change();
  fhir::Result<StoredRuleSet> insert_version(std::string_view payer_id, std::string_view document,
                                             std::string_view author, std::string_view comment);
  fhir::Result<std::vector<StoredRuleSet>> select_versions(const char* sql, const std::vector<fhir::PostgresParam>& params,
                                                           bool with_document, std::string_view what);
  std::mutex mutex_;
  std::unique_ptr<fhir::PostgresConnection> db_;
  std::string url_;  // for the change feed's own connection
};

}  // namespace crdex::config
