#include <mutex>

#include "crdex/cdex/attachment_store.hpp"
#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::cdex {

using fhir::SqliteStatement;
using fhir::SqliteStep;
using fhir::SqliteTransaction;

namespace {

constexpr const char* kSqliteAttachmentStoreName = "attachment store";

// Migration 1 is the schema from before migrations (adopted in place).
constexpr fhir::SchemaMigration kSqliteAttachmentMigrations[] = {
    {1, "submissions, their attachments, and the claims they attach to", R"sql(
CREATE TABLE IF NOT EXISTS submissions (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at     TEXT NOT NULL,
  tracking_system TEXT NOT NULL,
  tracking_value  TEXT NOT NULL,
  attach_to       TEXT NOT NULL,
  member_system   TEXT NOT NULL,
  member_value    TEXT NOT NULL,
  service_date    TEXT NOT NULL,
  final           INTEGER NOT NULL,
  parameters      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_tracking ON submissions (tracking_value, tracking_system);
CREATE INDEX IF NOT EXISTS submissions_by_member ON submissions (member_value, member_system);
CREATE TABLE IF NOT EXISTS attachments (
  submission_id INTEGER NOT NULL REFERENCES submissions (id),
  sequence      INTEGER NOT NULL,
  content_type  TEXT NOT NULL,
  code          TEXT NOT NULL,
  line_items    TEXT NOT NULL,
  content       TEXT NOT NULL,
  PRIMARY KEY (submission_id, sequence)
);
CREATE TABLE IF NOT EXISTS claims (
  tracking_system TEXT NOT NULL,
  tracking_value  TEXT NOT NULL,
  attach_to       TEXT NOT NULL,
  claim_system    TEXT NOT NULL,
  claim_value     TEXT NOT NULL,
  registered_at   TEXT NOT NULL,
  PRIMARY KEY (tracking_value, tracking_system)
);
CREATE INDEX IF NOT EXISTS claims_by_claim ON claims (claim_value, claim_system);
)sql"},
};

constexpr const char* kSubmissionColumns =
    "s.id, s.received_at, s.tracking_system, s.tracking_value, s.attach_to, s.member_system, s.member_value, "
    "s.service_date, s.final, c.claim_system, c.claim_value";
constexpr const char* kSubmissionJoin =
    " FROM submissions s LEFT JOIN claims c ON c.tracking_value = s.tracking_value AND c.tracking_system = "
    "s.tracking_system";

StoredSubmission read_submission(const SqliteStatement& s) {
  StoredSubmission out;
  out.id = s.integer(0);
  out.received_at = s.text(1);
  out.tracking_id = {s.text(2), s.text(3)};
  out.attach_to = s.text(4);
  out.member_id = {s.text(5), s.text(6)};
  out.service_date = s.text(7);
  out.final = s.integer(8) != 0;
  if (!s.text(10).empty()) out.claim_id = fhir::IdentifierValue{s.text(9), s.text(10)};
  out.status = out.claim_id ? "attached" : "held";
  return out;
}

class SqliteAttachmentStore final : public AttachmentStore {
 public:
  explicit SqliteAttachmentStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}

  fhir::Result<StoredSubmission> add(const fhir::SubmitAttachment& s, std::string_view parameters_json) override {
    std::lock_guard lock(mutex_);
    SqliteTransaction tx(*db_);
    if (!tx.begun()) return db_->error("cannot begin");
    const auto received_at = fhir::now_instant();
    {
      SqliteStatement insert(*db_,
                             "INSERT INTO submissions (received_at, tracking_system, tracking_value, attach_to, "
                             "member_system, member_value, service_date, final, parameters) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      insert.bind(1, received_at).bind(2, s.tracking_id.system).bind(3, s.tracking_id.value).bind(4, s.attach_to);
      insert.bind(5, s.member_id.system).bind(6, s.member_id.value).bind(7, s.service_date);
      insert.bind(8, s.final.value_or(true) ? 1 : 0).bind(9, parameters_json);
      if (!insert.run()) return db_->error("cannot store the submission");
    }
    const int64_t id = db_->last_insert_rowid();
    int sequence = 0;
    for (const auto& a : s.attachments) {
      SqliteStatement insert(*db_,
                             "INSERT INTO attachments (submission_id, sequence, content_type, code, line_items, "
                             "content) "
                             "VALUES (?, ?, ?, ?, ?, ?)");
      insert.bind(1, id).bind(2, ++sequence).bind(3, a.content_type).bind(4, a.code_json);
      insert.bind(5, line_items_json(a.line_items)).bind(6, a.content_json);
      if (!insert.run()) return db_->error("cannot store an attachment");
    }
    if (!tx.commit()) return db_->error("cannot commit");

    SqliteStatement read(*db_, (std::string("SELECT ") + kSubmissionColumns + kSubmissionJoin + " WHERE s.id = ?"));
    if (read.bind(1, id).step() != SqliteStep::row) return db_->error("cannot read back");
    auto stored = read_submission(read);
    if (auto loaded = load_attachments(stored); !loaded) return loaded.error();
    return stored;
  }

  fhir::Result<int> register_claim(const ClaimRegistration& claim) override {
    std::lock_guard lock(mutex_);
    SqliteTransaction tx(*db_);
    if (!tx.begun()) return db_->error("cannot begin");
    int held = 0;
    {
      SqliteStatement count(*db_,
                            "SELECT COUNT(*) FROM submissions s WHERE s.tracking_value = ? AND "
                            "s.tracking_system = ? AND "
                            "NOT EXISTS (SELECT 1 FROM claims c WHERE c.tracking_value = s.tracking_value AND "
                            "c.tracking_system = s.tracking_system)");
      if (count.bind(1, claim.tracking_id.value).bind(2, claim.tracking_id.system).step() != SqliteStep::row)
        return db_->error("cannot count held submissions");
      held = static_cast<int>(count.integer(0));
    }
    SqliteStatement upsert(*db_,
                           "INSERT INTO claims (tracking_system, tracking_value, attach_to, claim_system, claim_value, "
                           "registered_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tracking_value, tracking_system) DO "
                           "UPDATE SET attach_to = excluded.attach_to, claim_system = excluded.claim_system, "
                           "claim_value = excluded.claim_value");
    upsert.bind(1, claim.tracking_id.system).bind(2, claim.tracking_id.value).bind(3, claim.attach_to);
    upsert.bind(4, claim.claim_id.system).bind(5, claim.claim_id.value);
    upsert.bind(6, fhir::now_instant());
    if (!upsert.run()) return db_->error("cannot register the claim");
    if (!tx.commit()) return db_->error("cannot commit");
    return held;
  }

  fhir::Result<std::vector<StoredSubmission>> find(const AttachmentQuery& q) override {
    std::lock_guard lock(mutex_);
    std::string sql = std::string("SELECT ") + kSubmissionColumns + kSubmissionJoin + " WHERE 1 = 1";
    // An empty system matches any system (a search by value only).
    if (q.tracking_id) sql += " AND s.tracking_value = ?1 AND (?2 = '' OR s.tracking_system = ?2)";
    if (q.member_id) sql += " AND s.member_value = ?3 AND (?4 = '' OR s.member_system = ?4)";
    if (q.claim_id) sql += " AND c.claim_value = ?5 AND (?6 = '' OR c.claim_system = ?6)";
    sql += " ORDER BY s.id";
    SqliteStatement select(*db_, sql);
    if (q.tracking_id) select.bind(1, q.tracking_id->value).bind(2, q.tracking_id->system);
    if (q.member_id) select.bind(3, q.member_id->value).bind(4, q.member_id->system);
    if (q.claim_id) select.bind(5, q.claim_id->value).bind(6, q.claim_id->system);
    std::vector<StoredSubmission> out;
    if (!select.each_row([&](const SqliteStatement& row) { out.push_back(read_submission(row)); }))
      return db_->error("cannot search");
    for (auto& s : out)
      if (auto loaded = load_attachments(s); !loaded) return loaded.error();
    return out;
  }

  fhir::Result<std::optional<StoredSubmission>> get(int64_t id) override {
    std::lock_guard lock(mutex_);
    SqliteStatement read(*db_, (std::string("SELECT ") + kSubmissionColumns + kSubmissionJoin + " WHERE s.id = ?"));
    const SqliteStep rc = read.bind(1, id).step();
    if (rc == SqliteStep::done) return std::optional<StoredSubmission>();
    if (rc != SqliteStep::row) return db_->error("cannot read");
    auto stored = read_submission(read);
    if (auto loaded = load_attachments(stored); !loaded) return loaded.error();
    return std::optional<StoredSubmission>(std::move(stored));
  }

  fhir::Result<std::optional<std::string>> parameters(int64_t id) override {
    std::lock_guard lock(mutex_);
    SqliteStatement read(*db_, "SELECT parameters FROM submissions WHERE id = ?");
    const SqliteStep rc = read.bind(1, id).step();
    if (rc == SqliteStep::done) return std::optional<std::string>();
    if (rc != SqliteStep::row) return db_->error("cannot read");
    return std::optional<std::string>(read.text(0));
  }

  fhir::Result<std::optional<std::string>> content(int64_t id, int sequence) override {
    std::lock_guard lock(mutex_);
    SqliteStatement read(*db_, "SELECT content FROM attachments WHERE submission_id = ? AND sequence = ?");
    const SqliteStep rc = read.bind(1, id).bind(2, sequence).step();
    if (rc == SqliteStep::done) return std::optional<std::string>();
    if (rc != SqliteStep::row) return db_->error("cannot read");
    return std::optional<std::string>(read.text(0));
  }

 private:
  fhir::Result<bool> load_attachments(StoredSubmission& submission) {
    SqliteStatement read(*db_,
                         "SELECT sequence, content_type, code, line_items FROM attachments WHERE submission_id = ? "
                         "ORDER BY sequence");
    read.bind(1, submission.id);
    const bool read_all = read.each_row([&](const SqliteStatement& row) {
      submission.attachments.push_back(
          {static_cast<int>(row.integer(0)), row.text(1), row.text(2), line_items_from(row.text(3))});
    });
    if (!read_all) return db_->error("cannot read attachments");
    return true;
  }

  std::mutex mutex_;
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace

fhir::Result<std::shared_ptr<AttachmentStore>> AttachmentStore::open(const std::filesystem::path& file) {
  auto db = fhir::SqliteDatabase::open(file, "", {.name = kSqliteAttachmentStoreName});
  if (!db) return db.error();
  auto migrated = fhir::migrate_sqlite_schema(**db, kSqliteAttachmentStoreName, kSqliteAttachmentMigrations);
  if (!migrated) return migrated.error();
  return std::shared_ptr<AttachmentStore>(new SqliteAttachmentStore(std::move(db).value()));
}

}  // namespace crdex::cdex
