#include <mutex>

#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/postgres_connection.hpp"
#include "crdex/fhir/schema_migrations.hpp"
#include "store_backends.hpp"

namespace crdex::cdex {

namespace {

constexpr const char* kPostgresAttachmentStoreName = "attachment store";

// Tables named attachment_* so they stand beside the other stores in one database.
constexpr fhir::SchemaMigration kPostgresAttachmentMigrations[] = {
    {1, "submissions, their attachments, and the claims they attach to", R"sql(
CREATE TABLE attachment_submissions (
  id              BIGSERIAL PRIMARY KEY,
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
CREATE INDEX attachment_submissions_by_tracking ON attachment_submissions (tracking_value, tracking_system);
CREATE INDEX attachment_submissions_by_member ON attachment_submissions (member_value, member_system);
CREATE TABLE attachment_items (
  submission_id BIGINT NOT NULL REFERENCES attachment_submissions (id),
  sequence      INTEGER NOT NULL,
  content_type  TEXT NOT NULL,
  code          TEXT NOT NULL,
  line_items    TEXT NOT NULL,
  content       TEXT NOT NULL,
  PRIMARY KEY (submission_id, sequence)
);
CREATE TABLE attachment_claims (
  tracking_system TEXT NOT NULL,
  tracking_value  TEXT NOT NULL,
  attach_to       TEXT NOT NULL,
  claim_system    TEXT NOT NULL,
  claim_value     TEXT NOT NULL,
  registered_at   TEXT NOT NULL,
  PRIMARY KEY (tracking_value, tracking_system)
);
CREATE INDEX attachment_claims_by_claim ON attachment_claims (claim_value, claim_system);
)sql"},
};

constexpr const char* kSubmissionSelect =
    "SELECT s.id, s.received_at, s.tracking_system, s.tracking_value, s.attach_to, s.member_system, s.member_value, "
    "s.service_date, s.final, c.claim_system, c.claim_value FROM attachment_submissions s LEFT JOIN "
    "attachment_claims c ON c.tracking_value = s.tracking_value AND c.tracking_system = s.tracking_system";

StoredSubmission read_submission(const fhir::PostgresResult& r, int i) {
  StoredSubmission out;
  out.id = r.integer(i, 0);
  out.received_at = r.text(i, 1);
  out.tracking_id = {r.text(i, 2), r.text(i, 3)};
  out.attach_to = r.text(i, 4);
  out.member_id = {r.text(i, 5), r.text(i, 6)};
  out.service_date = r.text(i, 7);
  out.final = r.integer(i, 8) != 0;
  if (!r.text(i, 10).empty()) out.claim_id = fhir::IdentifierValue{r.text(i, 9), r.text(i, 10)};
  out.status = out.claim_id ? "attached" : "held";
  return out;
}

// Submissions every replica shares: a claim registered through one replica
// attaches what another received.
class PostgresAttachmentStore final : public AttachmentStore {
 public:
  explicit PostgresAttachmentStore(std::unique_ptr<fhir::PostgresConnection> db) : db_(std::move(db)) {}

  fhir::Result<StoredSubmission> add(const fhir::SubmitAttachment& s, std::string_view parameters_json) override {
    std::lock_guard lock(mutex_);
    int64_t id = 0;
    {
      fhir::PostgresTransaction tx(*db_);
      if (!tx.begun()) return db_->error("cannot begin");
      auto inserted = db_->query("cannot store the submission",
                                 "INSERT INTO attachment_submissions (received_at, tracking_system, tracking_value, "
                                 "attach_to, member_system, member_value, service_date, final, parameters) VALUES "
                                 "($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                                 {fhir::now_instant(), s.tracking_id.system, s.tracking_id.value, s.attach_to,
                                  s.member_id.system, s.member_id.value, s.service_date,
                                  std::string(s.final.value_or(true) ? "1" : "0"), std::string(parameters_json)});
      if (!inserted) return inserted.error();
      if (inserted->rows() != 1) return db_->error("cannot store the submission");
      id = inserted->integer(0, 0);
      int sequence = 0;
      for (const auto& a : s.attachments) {
        auto item = db_->query("cannot store an attachment",
                               "INSERT INTO attachment_items (submission_id, sequence, content_type, code, line_items, "
                               "content) VALUES ($1, $2, $3, $4, $5, $6)",
                               {std::to_string(id), std::to_string(++sequence), a.content_type, a.code_json,
                                line_items_json(a.line_items), a.content_json});
        if (!item) return item.error();
      }
      if (!tx.commit()) return db_->error("cannot commit");
    }
    auto stored = read_one(id);
    if (!stored) return stored.error();
    if (!*stored) return db_->error("cannot read back");
    return std::move(**stored);
  }

  fhir::Result<int> register_claim(const ClaimRegistration& claim) override {
    std::lock_guard lock(mutex_);
    fhir::PostgresTransaction tx(*db_);
    if (!tx.begun()) return db_->error("cannot begin");
    // The first registration of a tracking id attaches what was held (xmax = 0:
    // the row was inserted, not updated); two replicas registering it at once
    // are serialized on the row, and only one counts them.
    auto upsert = db_->query("cannot register the claim",
                             "INSERT INTO attachment_claims (tracking_system, tracking_value, attach_to, claim_system, "
                             "claim_value, registered_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tracking_value, "
                             "tracking_system) DO UPDATE SET attach_to = excluded.attach_to, claim_system = "
                             "excluded.claim_system, claim_value = excluded.claim_value RETURNING (xmax = 0)",
                             {claim.tracking_id.system, claim.tracking_id.value, claim.attach_to,
                              claim.claim_id.system, claim.claim_id.value, fhir::now_instant()});
    if (!upsert) return upsert.error();
    int held = 0;
    if (upsert->rows() == 1 && upsert->text(0, 0) == "t") {
      auto count = db_->query("cannot count held submissions",
                              "SELECT COUNT(*) FROM attachment_submissions WHERE tracking_value = $1 AND "
                              "tracking_system = $2",
                              {claim.tracking_id.value, claim.tracking_id.system});
      if (!count) return count.error();
      held = static_cast<int>(count->integer(0, 0));
    }
    if (!tx.commit()) return db_->error("cannot commit");
    return held;
  }

  fhir::Result<std::vector<StoredSubmission>> find(const AttachmentQuery& q) override {
    std::lock_guard lock(mutex_);
    std::string sql = std::string(kSubmissionSelect) + " WHERE TRUE";
    std::vector<fhir::PostgresParam> params;
    // An empty system matches any system (a search by value only).
    auto match = [&](const std::optional<fhir::IdentifierValue>& id, const char* value_column,
                     const char* system_column) {
      if (!id) return;
      params.push_back(id->value);
      params.push_back(id->system);
      const auto v = std::to_string(params.size() - 1), s = std::to_string(params.size());
      sql += std::string(" AND ") + value_column + " = $" + v + " AND ($" + s + " = '' OR " + system_column + " = $" +
             s + ")";
    };
    match(q.tracking_id, "s.tracking_value", "s.tracking_system");
    match(q.member_id, "s.member_value", "s.member_system");
    match(q.claim_id, "c.claim_value", "c.claim_system");
    sql += " ORDER BY s.id";
    auto r = db_->query("cannot search", sql.c_str(), params);
    if (!r) return r.error();
    std::vector<StoredSubmission> out;
    for (int i = 0; i < r->rows(); ++i) out.push_back(read_submission(*r, i));
    for (auto& s : out)
      if (auto loaded = load_attachments(s); !loaded) return loaded.error();
    return out;
  }

  fhir::Result<std::optional<StoredSubmission>> get(int64_t id) override {
    std::lock_guard lock(mutex_);
    return read_one(id);
  }

  fhir::Result<std::optional<std::string>> parameters(int64_t id) override {
    std::lock_guard lock(mutex_);
    return one_text("SELECT parameters FROM attachment_submissions WHERE id = $1", {std::to_string(id)});
  }

  fhir::Result<std::optional<std::string>> content(int64_t id, int sequence) override {
    std::lock_guard lock(mutex_);
    return one_text("SELECT content FROM attachment_items WHERE submission_id = $1 AND sequence = $2",
                    {std::to_string(id), std::to_string(sequence)});
  }

 private:
  fhir::Result<std::optional<std::string>> one_text(const char* sql, const std::vector<fhir::PostgresParam>& params) {
    auto r = db_->query("cannot read", sql, params);
    if (!r) return r.error();
    if (r->rows() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r->text(0, 0));
  }

  fhir::Result<std::optional<StoredSubmission>> read_one(int64_t id) {
    auto r = db_->query("cannot read", (std::string(kSubmissionSelect) + " WHERE s.id = $1").c_str(),
                        {std::to_string(id)});
    if (!r) return r.error();
    if (r->rows() == 0) return std::optional<StoredSubmission>();
    auto stored = read_submission(*r, 0);
    if (auto loaded = load_attachments(stored); !loaded) return loaded.error();
    return std::optional<StoredSubmission>(std::move(stored));
  }

  fhir::Result<bool> load_attachments(StoredSubmission& submission) {
    auto r = db_->query("cannot read attachments",
                        "SELECT sequence, content_type, code, line_items FROM attachment_items WHERE submission_id = "
                        "$1 ORDER BY sequence",
                        {std::to_string(submission.id)});
    if (!r) return r.error();
    for (int i = 0; i < r->rows(); ++i)
      submission.attachments.push_back(
          {static_cast<int>(r->integer(i, 0)), r->text(i, 1), r->text(i, 2), line_items_from(r->text(i, 3))});
    return true;
  }

  std::unique_ptr<fhir::PostgresConnection> db_;
  std::mutex mutex_;
};

}  // namespace

namespace detail {

fhir::Result<std::shared_ptr<AttachmentStore>> open_postgres_attachment_store(const std::string& url) {
  auto db = fhir::PostgresConnection::open(url, kPostgresAttachmentStoreName);
  if (!db) return db.error();
  auto migrated = fhir::migrate_postgres_schema(**db, kPostgresAttachmentStoreName, kPostgresAttachmentMigrations);
  if (!migrated) return migrated.error();
  return std::shared_ptr<AttachmentStore>(new PostgresAttachmentStore(std::move(db).value()));
}

}  // namespace detail

}  // namespace crdex::cdex
