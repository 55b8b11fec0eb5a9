#include "rule_store_sqlite.hpp"

#include "crdex/fhir/instant.hpp"
#include "rule_store_schema.hpp"

namespace crdex::config {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

fhir::Error not_found(const std::string& message) {
  return fhir::Error{404, fhir::IssueType::not_found, message, ""};
}

// Points the payer at a version (insert or move the pointer).
constexpr const char* kMakeCurrent =
    "INSERT INTO current_rule_sets (payer_id, version, changed_at, changed_by) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (payer_id) DO UPDATE SET version = excluded.version, changed_at = excluded.changed_at, "
    "changed_by = excluded.changed_by";

constexpr const char* kVersionColumns =
    "v.payer_id, v.version, v.author, v.created_at, v.checksum, v.comment, "
    "COALESCE(c.version = v.version, 0)";

StoredRuleSet read_row(const SqliteStatement& s, bool with_document) {
  StoredRuleSet out{s.text(0), static_cast<int>(s.integer(1)), s.text(2), s.text(3), s.text(4), s.text(5), {},
                    s.integer(6) != 0};
  if (with_document) out.document = s.text(7);
  return out;
}

}  // namespace

fhir::Result<std::unique_ptr<RuleStore>> RuleStore::open(const std::filesystem::path& file) {
  // WAL: readers never block the writer; FULL: a committed publish survives
  // power loss; the busy timeout: another process (crdex-rules token) may
  // hold the write lock briefly.
  auto db = fhir::SqliteDatabase::open(file, "", {.name = detail::kRuleStoreName});
  if (!db) return db.error();
  auto migrated = fhir::migrate_sqlite_schema(**db, detail::kRuleStoreName, detail::kSqliteRuleMigrations);
  if (!migrated) return migrated.error();
  return std::unique_ptr<RuleStore>(new SqliteRuleStore(std::move(db).value()));
}

fhir::Result<bool> SqliteRuleStore::empty() {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "SELECT COUNT(*) FROM current_rule_sets");
  if (!s.ok() || s.step() != SqliteStep::row) return db_->error("cannot count rule sets");
  return s.integer(0) == 0;
}

fhir::Result<StoredRuleSet> SqliteRuleStore::insert_version(std::string_view payer_id, std::string_view document,
                                                      std::string_view author, std::string_view comment) {
  int next = 1;
  {
    SqliteStatement s(*db_, "SELECT COALESCE(MAX(version), 0) + 1 FROM rule_set_versions WHERE payer_id = ?");
    if (!s.ok() || s.bind(1, payer_id).step() != SqliteStep::row) return db_->error("cannot number the version");
    next = static_cast<int>(s.integer(0));
  }
  StoredRuleSet stored{std::string(payer_id),  next, std::string(author), fhir::now_instant(),
                       sha256_checksum(document), std::string(comment), std::string(document), true};
  {
    SqliteStatement s(*db_,
                      "INSERT INTO rule_set_versions (payer_id, version, author, created_at, checksum, comment, "
                      "document) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!s.ok() || !s.bind(1, payer_id).bind(2, next).bind(3, author).bind(4, stored.created_at)
                        .bind(5, stored.checksum).bind(6, comment).bind(7, document).run())
      return db_->error("cannot store the version");
  }
  {
    SqliteStatement s(*db_, kMakeCurrent);
    if (!s.ok() || !s.bind(1, payer_id).bind(2, next).bind(3, stored.created_at).bind(4, author).run())
      return db_->error("cannot make the version current");
  }
  if (!advance_generation()) return db_->error("cannot advance the change generation");
  return stored;
}

fhir::Result<StoredRuleSet> SqliteRuleStore::publish(std::string_view payer_id, std::string_view document,
                                               std::string_view author, std::string_view comment) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin a publish");
  auto stored = insert_version(payer_id, document, author, comment);
  if (!stored) return stored;
  if (!transaction.commit()) return db_->error("cannot commit the publish");
  return stored;
}

fhir::Result<std::vector<StoredRuleSet>> SqliteRuleStore::publish_all(const std::vector<StoredRuleSet>& sets) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin a publish");
  std::vector<StoredRuleSet> out;
  for (const auto& set : sets) {
    auto stored = insert_version(set.payer_id, set.document, set.author, set.comment);
    if (!stored) return stored.error();
    out.push_back(std::move(stored).value());
  }
  if (!transaction.commit()) return db_->error("cannot commit the publish");
  return out;
}

fhir::Result<StoredRuleSet> SqliteRuleStore::make_current(std::string_view payer_id, int version, std::string_view author) {
  {
    std::lock_guard lock(mutex_);
    SqliteTransaction transaction(*db_);
    if (!transaction.begun()) return db_->error("cannot begin a rollback");
    {
      SqliteStatement s(*db_, "SELECT 1 FROM rule_set_versions WHERE payer_id = ? AND version = ?");
      if (!s.ok()) return db_->error("cannot look up the version");
      if (s.bind(1, payer_id).bind(2, version).step() != SqliteStep::row)
        return not_found("payer \"" + std::string(payer_id) + "\" has no rule set version " + std::to_string(version));
    }
    SqliteStatement s(*db_, kMakeCurrent);
    if (!s.ok() || !s.bind(1, payer_id).bind(2, version).bind(3, fhir::now_instant()).bind(4, author).run())
      return db_->error("cannot change the current version");
    if (!advance_generation()) return db_->error("cannot advance the change generation");
    if (!transaction.commit()) return db_->error("cannot commit the rollback");
  }
  return this->version(payer_id, version);
}

fhir::Result<std::vector<StoredRuleSet>> SqliteRuleStore::versions(std::string_view payer_id) {
  std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kVersionColumns +
                          " FROM rule_set_versions v LEFT JOIN current_rule_sets c ON c.payer_id = v.payer_id"
                          " WHERE v.payer_id = ? ORDER BY v.version DESC";
  SqliteStatement s(*db_, sql);
  if (!s.ok()) return db_->error("cannot list versions");
  s.bind(1, payer_id);
  std::vector<StoredRuleSet> out;
  if (!s.each_row([&](const SqliteStatement& row) { out.push_back(read_row(row, false)); }))
    return db_->error("cannot list versions");
  return out;
}

fhir::Result<StoredRuleSet> SqliteRuleStore::version(std::string_view payer_id, int version) {
  std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kVersionColumns +
                          ", v.document FROM rule_set_versions v LEFT JOIN current_rule_sets c"
                          " ON c.payer_id = v.payer_id WHERE v.payer_id = ? AND v.version = ?";
  SqliteStatement s(*db_, sql);
  if (!s.ok()) return db_->error("cannot read the version");
  const SqliteStep rc = s.bind(1, payer_id).bind(2, version).step();
  if (rc == SqliteStep::row) return read_row(s, true);
  if (rc != SqliteStep::done) return db_->error("cannot read the version");
  return not_found("payer \"" + std::string(payer_id) + "\" has no rule set version " + std::to_string(version));
}

fhir::Result<StoredRuleSet> SqliteRuleStore::current(std::string_view payer_id) {
  std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kVersionColumns +
                          ", v.document FROM current_rule_sets c JOIN rule_set_versions v"
                          " ON v.payer_id = c.payer_id AND v.version = c.version WHERE c.payer_id = ?";
  SqliteStatement s(*db_, sql);
  if (!s.ok()) return db_->error("cannot read the current version");
  const SqliteStep rc = s.bind(1, payer_id).step();
  if (rc == SqliteStep::row) return read_row(s, true);
  if (rc != SqliteStep::done) return db_->error("cannot read the current version");
  return not_found("payer \"" + std::string(payer_id) + "\" has no published rule set");
}

fhir::Result<std::vector<StoredRuleSet>> SqliteRuleStore::all_current() {
  std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kVersionColumns +
                          ", v.document FROM current_rule_sets c JOIN rule_set_versions v"
                          " ON v.payer_id = c.payer_id AND v.version = c.version ORDER BY c.payer_id";
  SqliteStatement s(*db_, sql);
  if (!s.ok()) return db_->error("cannot read the current versions");
  std::vector<StoredRuleSet> out;
  if (!s.each_row([&](const SqliteStatement& row) { out.push_back(read_row(row, true)); }))
    return db_->error("cannot read the current versions");
  return out;
}

bool SqliteRuleStore::advance_generation() {
  return db_->exec("UPDATE rule_changes SET generation = generation + 1 WHERE id = 1");
}

fhir::Result<int64_t> SqliteRuleStore::generation() {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "SELECT generation FROM rule_changes WHERE id = 1");
  if (!s.ok() || s.step() != SqliteStep::row) return db_->error("cannot read the change generation");
  return s.integer(0);
}

fhir::Result<std::unique_ptr<RuleChangeFeed>> SqliteRuleStore::change_feed() {
  return std::unique_ptr<RuleChangeFeed>();  // SQLite announces nothing: generation() is compared periodically
}

fhir::Result<bool> SqliteRuleStore::set_publisher_token(std::string_view payer_id, std::string_view token) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_,
                    "INSERT INTO publishers (payer_id, token_hash) VALUES (?, ?) "
                    "ON CONFLICT (payer_id) DO UPDATE SET token_hash = excluded.token_hash");
  if (!s.ok() || s.bind(1, payer_id).bind(2, sha256_checksum(token)).step() != SqliteStep::done)
    return db_->error("cannot store the publisher token");
  return true;
}

fhir::Result<std::optional<std::string>> SqliteRuleStore::payer_of_token(std::string_view token) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "SELECT payer_id FROM publishers WHERE token_hash = ?");
  if (!s.ok()) return db_->error("cannot check the publisher token");
  const SqliteStep rc = s.bind(1, sha256_checksum(token)).step();
  if (rc == SqliteStep::row) return std::optional<std::string>(s.text(0));
  if (rc != SqliteStep::done) return db_->error("cannot check the publisher token");
  return std::optional<std::string>();
}

}  // namespace crdex::config
