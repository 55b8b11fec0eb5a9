#include "rule_store_postgres.hpp"

#include "crdex/fhir/instant.hpp"
#include "rule_store_schema.hpp"

namespace crdex::config {

using fhir::PostgresParam;
using fhir::PostgresTransaction;

namespace {

fhir::Error pg_rule_not_found(const std::string& message) {
  return fhir::Error{404, fhir::IssueType::not_found, message, ""};
}

constexpr const char* kPgMakeCurrent =
    "INSERT INTO current_rule_sets (payer_id, version, changed_at, changed_by) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (payer_id) DO UPDATE SET version = excluded.version, changed_at = excluded.changed_at, "
    "changed_by = excluded.changed_by";

#define CRDEX_PG_VERSION_COLUMNS                                          \
  "v.payer_id, v.version, v.author, v.created_at, v.checksum, v.comment, " \
  "CASE WHEN c.version = v.version THEN 1 ELSE 0 END"

// A connection of its own, LISTENing on the rule channel.
class PostgresRuleChangeFeed final : public RuleChangeFeed {
 public:
  explicit PostgresRuleChangeFeed(std::unique_ptr<fhir::PostgresConnection> db) : db_(std::move(db)) {}
  bool wait(std::chrono::milliseconds timeout) override { return db_->wait_for_notification(timeout); }

 private:
  std::unique_ptr<fhir::PostgresConnection> db_;
};

}  // namespace

fhir::Result<std::unique_ptr<RuleStore>> PostgresRuleStore::open(const std::string& url) {
  auto db = fhir::PostgresConnection::open(url, detail::kRuleStoreName);
  if (!db) return db.error();
  auto migrated = fhir::migrate_postgres_schema(**db, detail::kRuleStoreName, detail::kPostgresRuleMigrations);
  if (!migrated) return migrated.error();
  return std::unique_ptr<RuleStore>(new PostgresRuleStore(std::move(db).value(), url));
}

fhir::Result<bool> PostgresRuleStore::empty() {
  std::lock_guard lock(mutex_);
  auto count = db_->query("cannot count rule sets", "SELECT COUNT(*) FROM current_rule_sets");
  if (!count) return count.error();
  return count->integer(0, 0) == 0;
}

fhir::Result<bool> PostgresRuleStore::begin_change() {
  // The row lock serializes every writer of the rule store, on any replica.
  auto advanced = db_->query("cannot advance the change generation",
                             "UPDATE rule_changes SET generation = generation + 1 WHERE id = 1 RETURNING generation");
  if (!advanced) return advanced.error();
  auto announced = db_->query("cannot announce the change", "SELECT pg_notify($1, $2)",
                              {std::string(detail::kRuleChangeChannel), advanced->text(0, 0)});
  if (!announced) return announced.error();
  return true;
}

fhir::Result<StoredRuleSet> PostgresRuleStore::insert_version(std::string_view payer_id, std::string_view document,
                                                              std::string_view author, std::string_view comment) {
  const std::string payer(payer_id);
  auto numbered = db_->query("cannot number the version",
                             "SELECT COALESCE(MAX(version), 0) + 1 FROM rule_set_versions WHERE payer_id = $1", {payer});
  if (!numbered) return numbered.error();
  const int next = static_cast<int>(numbered->integer(0, 0));
  StoredRuleSet stored{payer, next, std::string(author), fhir::now_instant(), sha256_checksum(document),
                       std::string(comment), std::string(document), true};
  auto inserted = db_->query("cannot store the version",
                             "INSERT INTO rule_set_versions (payer_id, version, author, created_at, checksum, comment, "
                             "document) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                             {payer, std::to_string(next), stored.author, stored.created_at, stored.checksum,
                              stored.comment, stored.document});
  if (!inserted) return inserted.error();
  auto pointed = db_->query("cannot make the version current", kPgMakeCurrent,
                            {payer, std::to_string(next), stored.created_at, stored.author});
  if (!pointed) return pointed.error();
  return stored;
}

fhir::Result<StoredRuleSet> PostgresRuleStore::publish(std::string_view payer_id, std::string_view document,
                                                       std::string_view author, std::string_view comment) {
  std::lock_guard lock(mutex_);
  PostgresTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin a publish");
  if (auto changing = begin_change(); !changing) return changing.error();
  auto stored = insert_version(payer_id, document, author, comment);
  if (!stored) return stored;
  if (!transaction.commit()) return db_->error("cannot commit the publish");
  return stored;
}

fhir::Result<std::vector<StoredRuleSet>> PostgresRuleStore::publish_all(const std::vector<StoredRuleSet>& sets) {
  std::lock_guard lock(mutex_);
  PostgresTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin a publish");
  if (auto changing = begin_change(); !changing) return changing.error();
  std::vector<StoredRuleSet> out;
  for (const auto& set : sets) {
    auto stored = insert_version(set.payer_id, set.document, set.author, set.comment);
    if (!stored) return stored.error();
    out.push_back(std::move(stored).value());
  }
  if (!transaction.commit()) return db_->error("cannot commit the publish");
  return out;
}

fhir::Result<StoredRuleSet> PostgresRuleStore::make_current(std::string_view payer_id, int version,
                                                            std::string_view author) {
  {
    std::lock_guard lock(mutex_);
    const std::string payer(payer_id);
    PostgresTransaction transaction(*db_);
    if (!transaction.begun()) return db_->error("cannot begin a rollback");
    if (auto changing = begin_change(); !changing) return changing.error();
    auto found = db_->query("cannot look up the version",
                            "SELECT 1 FROM rule_set_versions WHERE payer_id = $1 AND version = $2",
                            {payer, std::to_string(version)});
    if (!found) return found.error();
    if (found->rows() == 0)
      return pg_rule_not_found("payer \"" + payer + "\" has no rule set version " + std::to_string(version));
    auto pointed = db_->query("cannot change the current version", kPgMakeCurrent,
                              {payer, std::to_string(version), fhir::now_instant(), std::string(author)});
    if (!pointed) return pointed.error();
    if (!transaction.commit()) return db_->error("cannot commit the rollback");
  }
  return this->version(payer_id, version);
}

fhir::Result<std::vector<StoredRuleSet>> PostgresRuleStore::select_versions(const char* sql,
                                                                            const std::vector<PostgresParam>& params,
                                                                            bool with_document, std::string_view what) {
  auto rows = db_->query(what, sql, params);
  if (!rows) return rows.error();
  std::vector<StoredRuleSet> out;
  for (int r = 0; r < rows->rows(); ++r) {
    StoredRuleSet set{rows->text(r, 0), static_cast<int>(rows->integer(r, 1)), rows->text(r, 2), rows->text(r, 3),
                      rows->text(r, 4), rows->text(r, 5), {}, rows->integer(r, 6) != 0};
    if (with_document) set.document = rows->text(r, 7);
    out.push_back(std::move(set));
  }
  return out;
}

fhir::Result<std::vector<StoredRuleSet>> PostgresRuleStore::versions(std::string_view payer_id) {
  std::lock_guard lock(mutex_);
  return select_versions("SELECT " CRDEX_PG_VERSION_COLUMNS
                         " FROM rule_set_versions v LEFT JOIN current_rule_sets c ON c.payer_id = v.payer_id"
                         " WHERE v.payer_id = $1 ORDER BY v.version DESC",
                         {std::string(payer_id)}, false, "cannot list versions");
}

fhir::Result<StoredRuleSet> PostgresRuleStore::version(std::string_view payer_id, int version) {
  std::lock_guard lock(mutex_);
  auto found = select_versions("SELECT " CRDEX_PG_VERSION_COLUMNS
                               ", v.document FROM rule_set_versions v LEFT JOIN current_rule_sets c"
                               " ON c.payer_id = v.payer_id WHERE v.payer_id = $1 AND v.version = $2",
                               {std::string(payer_id), std::to_string(version)}, true, "cannot read the version");
  if (!found) return found.error();
  if (found->empty())
    return pg_rule_not_found("payer \"" + std::string(payer_id) + "\" has no rule set version " +
                             std::to_string(version));
  return std::move(found->front());
}

fhir::Result<StoredRuleSet> PostgresRuleStore::current(std::string_view payer_id) {
  std::lock_guard lock(mutex_);
  auto found = select_versions("SELECT " CRDEX_PG_VERSION_COLUMNS
                               ", v.document FROM current_rule_sets c JOIN rule_set_versions v"
                               " ON v.payer_id = c.payer_id AND v.version = c.version WHERE c.payer_id = $1",
                               {std::string(payer_id)}, true, "cannot read the current version");
  if (!found) return found.error();
  if (found->empty()) return pg_rule_not_found("payer \"" + std::string(payer_id) + "\" has no published rule set");
  return std::move(found->front());
}

fhir::Result<std::vector<StoredRuleSet>> PostgresRuleStore::all_current() {
  std::lock_guard lock(mutex_);
  return select_versions("SELECT " CRDEX_PG_VERSION_COLUMNS
                         ", v.document FROM current_rule_sets c JOIN rule_set_versions v"
                         " ON v.payer_id = c.payer_id AND v.version = c.version ORDER BY c.payer_id",
                         {}, true, "cannot read the current versions");
}

fhir::Result<int64_t> PostgresRuleStore::generation() {
  std::lock_guard lock(mutex_);
  auto read = db_->query("cannot read the change generation", "SELECT generation FROM rule_changes WHERE id = 1");
  if (!read) return read.error();
  return read->integer(0, 0);
}

fhir::Result<std::unique_ptr<RuleChangeFeed>> PostgresRuleStore::change_feed() {
  auto db = fhir::PostgresConnection::open(url_, "rule change feed");
  if (!db) return db.error();
  if (auto listening = (*db)->listen(detail::kRuleChangeChannel); !listening) return listening.error();
  return std::unique_ptr<RuleChangeFeed>(new PostgresRuleChangeFeed(std::move(db).value()));
}

fhir::Result<bool> PostgresRuleStore::set_publisher_token(std::string_view payer_id, std::string_view token) {
  std::lock_guard lock(mutex_);
  auto stored = db_->query("cannot store the publisher token",
                           "INSERT INTO publishers (payer_id, token_hash) VALUES ($1, $2) "
                           "ON CONFLICT (payer_id) DO UPDATE SET token_hash = excluded.token_hash",
                           {std::string(payer_id), sha256_checksum(token)});
  if (!stored) return stored.error();
  return true;
}

fhir::Result<std::optional<std::string>> PostgresRuleStore::payer_of_token(std::string_view token) {
  std::lock_guard lock(mutex_);
  auto found = db_->query("cannot check the publisher token", "SELECT payer_id FROM publishers WHERE token_hash = $1",
                          {sha256_checksum(token)});
  if (!found) return found.error();
  if (found->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(found->text(0, 0));
}

#undef CRDEX_PG_VERSION_COLUMNS

}  // namespace crdex::config
