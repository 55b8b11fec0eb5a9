#include "crdex/config/rule_store.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crdex/fhir/instant.hpp"

namespace crdex::config {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS rule_set_versions (
  payer_id   TEXT NOT NULL,
  version    INTEGER NOT NULL,
  author     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  checksum   TEXT NOT NULL,
  comment    TEXT NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (payer_id, version)
);
CREATE TABLE IF NOT EXISTS current_rule_sets (
  payer_id   TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  changed_at TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  FOREIGN KEY (payer_id, version) REFERENCES rule_set_versions (payer_id, version)
);
CREATE TABLE IF NOT EXISTS publishers (
  payer_id   TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE
);
)sql";

fhir::Error not_found(const std::string& message) {
  return fhir::Error{404, fhir::IssueType::not_found, message, ""};
}

std::string hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
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

std::string sha256_checksum(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return "sha256:" + hex(digest, size);
}

std::string new_publisher_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  return hex(bytes, sizeof bytes);
}

fhir::Result<std::unique_ptr<RuleStore>> RuleStore::open(const std::filesystem::path& file) {
  // WAL: readers never block the writer; FULL: a committed publish survives
  // power loss; the busy timeout: another process (crdex-rules token) may
  // hold the write lock briefly.
  auto db = fhir::SqliteDatabase::open(file, kSchema, {.name = "rule store"});
  if (!db) return db.error();
  return std::unique_ptr<RuleStore>(new RuleStore(std::move(db).value()));
}

RuleStore::~RuleStore() = default;

fhir::Result<bool> RuleStore::empty() {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "SELECT COUNT(*) FROM current_rule_sets");
  if (!s.ok() || s.step() != SqliteStep::row) return db_->error("cannot count rule sets");
  return s.integer(0) == 0;
}

fhir::Result<StoredRuleSet> RuleStore::insert_version(std::string_view payer_id, std::string_view document,
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
  return stored;
}

fhir::Result<StoredRuleSet> RuleStore::publish(std::string_view payer_id, std::string_view document,
                                               std::string_view author, std::string_view comment) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(*db_);
  if (!transaction.begun()) return db_->error("cannot begin a publish");
  auto stored = insert_version(payer_id, document, author, comment);
  if (!stored) return stored;
  if (!transaction.commit()) return db_->error("cannot commit the publish");
  return stored;
}

fhir::Result<std::vector<StoredRuleSet>> RuleStore::publish_all(const std::vector<StoredRuleSet>& sets) {
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

fhir::Result<StoredRuleSet> RuleStore::make_current(std::string_view payer_id, int version, std::string_view author) {
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
    if (!transaction.commit()) return db_->error("cannot commit the rollback");
  }
  return this->version(payer_id, version);
}

fhir::Result<std::vector<StoredRuleSet>> RuleStore::versions(std::string_view payer_id) {
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

fhir::Result<StoredRuleSet> RuleStore::version(std::string_view payer_id, int version) {
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

fhir::Result<StoredRuleSet> RuleStore::current(std::string_view payer_id) {
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

fhir::Result<std::vector<StoredRuleSet>> RuleStore::all_current() {
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

fhir::Result<bool> RuleStore::set_publisher_token(std::string_view payer_id, std::string_view token) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_,
                    "INSERT INTO publishers (payer_id, token_hash) VALUES (?, ?) "
                    "ON CONFLICT (payer_id) DO UPDATE SET token_hash = excluded.token_hash");
  if (!s.ok() || s.bind(1, payer_id).bind(2, sha256_checksum(token)).step() != SqliteStep::done)
    return db_->error("cannot store the publisher token");
  return true;
}

fhir::Result<std::optional<std::string>> RuleStore::payer_of_token(std::string_view token) {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "SELECT payer_id FROM publishers WHERE token_hash = ?");
  if (!s.ok()) return db_->error("cannot check the publisher token");
  const SqliteStep rc = s.bind(1, sha256_checksum(token)).step();
  if (rc == SqliteStep::row) return std::optional<std::string>(s.text(0));
  if (rc != SqliteStep::done) return db_->error("cannot check the publisher token");
  return std::optional<std::string>();
}

}  // namespace crdex::config
