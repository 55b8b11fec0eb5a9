#include <algorithm>
#include <mutex>

#include "audit_store_backends.hpp"

namespace crdex::hooks {

namespace {

using fhir::PostgresParam;

constexpr const char* kPostgresCallColumns =
    "id, recorded_ms, service, hook, hook_instance, patient, payer, status, duration_us, request, response, "
    "request_id, request_sha256, request_bytes, response_sha256, response_bytes";

// Rows per INSERT statement: PostgreSQL takes at most 65535 parameters.
constexpr size_t kCallsPerStatement = 2000;  // 16 parameters each
constexpr size_t kCardsPerStatement = 8000;  // 7 each

PostgresParam text_or_null(const std::string& text) {
  return text.empty() ? PostgresParam{} : PostgresParam{text};
}

// "($1::bigint, $2, ...)" for the row whose first parameter is `first`.
std::string placeholders(size_t first, std::initializer_list<const char*> casts) {
  std::string out = "(";
  size_t n = first;
  for (const char* cast : casts) {
    if (n != first) out += ',';
    out += '$' + std::to_string(n++) + cast;
  }
  return out + ')';
}

// Every replica's writer thread writes here and every replica's admin API
// reads all of it. A batch is one transaction of a few statements (ids, calls,
// card origins), whatever its size: one round trip per call would cap a
// replica's audit at the network's latency.
class PostgresAuditStore final : public AuditStore {
 public:
  explicit PostgresAuditStore(std::unique_ptr<fhir::PostgresConnection> db) : db_(std::move(db)) {}

  fhir::Result<int64_t> purge_before(int64_t cutoff_ms) override { return purge_below("recorded_ms", cutoff_ms); }

  fhir::Result<uint64_t> used_bytes() override {
    // The newest calls (with their card origins) as a sample of the rows'
    // size, times the calls kept: an index scan, and a purge shows at once.
    std::lock_guard lock(mutex_);
    auto sample = db_->query(
        "cannot read the audit's size",
        "WITH recent AS (SELECT * FROM audit_invocations ORDER BY id DESC LIMIT 200) "
        "SELECT COUNT(*), COALESCE(SUM(pg_column_size(recent.*)), 0), "
        "(SELECT COALESCE(SUM(pg_column_size(o.*)), 0) FROM audit_card_origins o "
        " WHERE o.invocation_id IN (SELECT id FROM recent)), "
        "(SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM audit_invocations) FROM recent");
    if (!sample) return sample.error();
    const int64_t sampled = sample->integer(0, 0);
    if (sampled == 0) return uint64_t{0};
    const double per_call =
        static_cast<double>(sample->integer(0, 1) + sample->integer(0, 2)) / static_cast<double>(sampled);
    return static_cast<uint64_t>(per_call * static_cast<double>(sample->integer(0, 3)));
  }

  fhir::Result<int64_t> purge_oldest(int64_t count) override {
    if (count <= 0) return int64_t{0};
    int64_t below = 0;
    {
      std::lock_guard lock(mutex_);
      // The id just past the oldest `count`; past the newest when there are fewer.
      auto found = db_->query("cannot find the oldest calls",
                              "SELECT COALESCE((SELECT id FROM audit_invocations ORDER BY id LIMIT 1 OFFSET $1), "
                              "(SELECT MAX(id) + 1 FROM audit_invocations), 0)",
                              {std::to_string(count)});
      if (!found) return found.error();
      below = found->integer(0, 0);
    }
    return purge_below("id", below);
  }

  fhir::Result<int64_t> call_count() override {
    std::lock_guard lock(mutex_);
    auto count =
        db_->query("cannot count the calls", "SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM audit_invocations");
    if (!count) return count.error();
    return count->integer(0, 0);
  }

 protected:
  fhir::Result<bool> store_calls(const std::vector<CallRow>& calls) override {
    if (calls.empty()) return true;
    std::lock_guard lock(mutex_);
    fhir::PostgresTransaction transaction(*db_);
    if (!transaction.begun()) return db_->error("cannot begin a write");
    // The ids first, so calls and their card origins go in as two multi-row
    // INSERTs (RETURNING does not promise the order of the rows).
    auto ids = db_->query("cannot number the calls",
                          "SELECT nextval('audit_invocations_id_seq') FROM generate_series(1, $1::integer)",
                          {std::to_string(calls.size())});
    if (!ids) return ids.error();
    if (static_cast<size_t>(ids->rows()) != calls.size()) return db_->error("cannot number the calls");
    std::vector<int64_t> numbers;
    for (int i = 0; i < ids->rows(); ++i) numbers.push_back(ids->integer(i, 0));
    std::sort(numbers.begin(), numbers.end());

    for (size_t start = 0; start < calls.size(); start += kCallsPerStatement) {
      std::string sql =
          "INSERT INTO audit_invocations (id, recorded_ms, service, hook, hook_instance, patient, payer, status, "
          "duration_us, request_id, request_sha256, request_bytes, response_sha256, response_bytes, request, "
          "response) VALUES ";
      std::vector<PostgresParam> params;
      const size_t end = std::min(calls.size(), start + kCallsPerStatement);
      for (size_t i = start; i < end; ++i) {
        const CallRow& row = calls[i];
        if (i != start) sql += ',';
        sql += placeholders(params.size() + 1, {"::bigint", "::bigint", "", "", "", "", "", "::integer", "::bigint",
                                                "", "::bytea", "::bigint", "::bytea", "::bigint", "", ""});
        params.insert(params.end(),
                      {std::to_string(numbers[i]), std::to_string(row.recorded_ms), row.service, text_or_null(row.hook),
                       text_or_null(row.hook_instance), text_or_null(row.patient), text_or_null(row.payer),
                       std::to_string(row.status), std::to_string(row.duration_us), text_or_null(row.request_id)});
        if (row.compact) {
          params.insert(params.end(),
                        {row.request_sha256.empty() ? PostgresParam{} : detail::bytea_param(row.request_sha256),
                         std::to_string(row.request_bytes),
                         row.response_sha256.empty() ? PostgresParam{} : detail::bytea_param(row.response_sha256),
                         std::to_string(row.response_bytes), PostgresParam{}, PostgresParam{}});
        } else {
          params.insert(params.end(), {PostgresParam{}, PostgresParam{}, PostgresParam{}, PostgresParam{},
                                       row.request, row.response.value_or("")});
        }
      }
      if (auto stored = db_->query("cannot store the calls", sql.c_str(), params); !stored) return stored.error();
    }

    std::string sql;
    std::vector<PostgresParam> params;
    auto flush = [&]() -> fhir::Result<bool> {
      if (params.empty()) return true;
      auto stored = db_->query("cannot store the card origins", sql.c_str(), params);
      params.clear();
      if (!stored) return stored.error();
      return true;
    };
    for (size_t i = 0; i < calls.size(); ++i) {
      for (const auto& origin : calls[i].cards) {
        if (params.empty())
          sql = "INSERT INTO audit_card_origins (invocation_id, card_uuid, rule_set_version, rule_term, "
                "card_type_term, decision_term, order_ref) VALUES ";
        else
          sql += ',';
        sql += placeholders(params.size() + 1, {"::bigint", "::bytea", "::integer", "::bigint", "::bigint",
                                                "::bigint", ""});
        params.insert(params.end(),
                      {std::to_string(numbers[i]), detail::bytea_param(origin.card_key),
                       std::to_string(origin.rule_set_version), std::to_string(origin.rule_term),
                       std::to_string(origin.card_type_term),
                       origin.decision_term == 0 ? PostgresParam{} : std::to_string(origin.decision_term),
                       origin.order_ref});
        if (params.size() / 7 >= kCardsPerStatement) {
          sql += " ON CONFLICT DO NOTHING";
          if (auto flushed = flush(); !flushed) return flushed.error();
        }
      }
    }
    sql += " ON CONFLICT DO NOTHING";
    if (auto flushed = flush(); !flushed) return flushed.error();
    if (!transaction.commit()) return db_->error("cannot commit a write");
    return true;
  }

  fhir::Result<std::map<std::string, int64_t>> term_ids(const std::vector<std::string>& terms) override {
    std::lock_guard lock(mutex_);
    std::map<std::string, int64_t> out;
    for (const auto& term : terms) {
      // Outside a transaction: a replica adding the same term at once waits
      // for the other's row, then does nothing; the SELECT sees that row.
      auto added = db_->query("cannot store a card origin's terms",
                              "INSERT INTO audit_terms (term) VALUES ($1) ON CONFLICT (term) DO NOTHING", {term});
      if (!added) return added.error();
      auto id = db_->query("cannot read a card origin's terms", "SELECT id FROM audit_terms WHERE term = $1", {term});
      if (!id) return id.error();
      if (id->rows() != 1) return db_->error("cannot read a card origin's terms");
      out.emplace(term, id->integer(0, 0));
    }
    return out;
  }

  fhir::Result<std::vector<CallRow>> find_calls(const AuditQuery& query) override {
    // Only the filters given go into the statement, as on SQLite.
    std::vector<PostgresParam> params{std::to_string(query.after_id)};
    std::string sql = std::string("SELECT ") + kPostgresCallColumns + " FROM audit_invocations WHERE id > $1::bigint";
    auto add = [&](const char* condition, std::string value) {
      params.emplace_back(std::move(value));
      sql += std::string(" AND ") + condition + " $" + std::to_string(params.size());
    };
    if (!query.hook_instance.empty()) add("hook_instance =", query.hook_instance);
    if (!query.patient_id.empty()) add("patient =", query.patient_id);
    if (!query.payer_id.empty()) add("payer =", query.payer_id);
    if (!query.request_id.empty()) add("request_id =", query.request_id);
    if (query.from_ms) add("recorded_ms >=", std::to_string(*query.from_ms));
    if (query.to_ms) add("recorded_ms <", std::to_string(*query.to_ms));
    params.emplace_back(std::to_string(std::max(query.limit, 0)));
    sql += " ORDER BY id LIMIT $" + std::to_string(params.size()) + "::bigint";
    std::lock_guard lock(mutex_);
    auto found = db_->query("cannot search", sql.c_str(), params);
    if (!found) return found.error();
    return read_calls(*found);
  }

  fhir::Result<std::vector<CallRow>> last_answered_calls(const std::string& payer_id, int count) override {
    std::lock_guard lock(mutex_);
    const std::string sql = std::string("SELECT ") + kPostgresCallColumns +
                            " FROM audit_invocations WHERE payer = $1 AND status = 200 AND request IS NOT NULL"
                            " ORDER BY id DESC LIMIT $2::bigint";
    auto found = db_->query("cannot read recorded calls", sql.c_str(), {payer_id, std::to_string(std::max(count, 0))});
    if (!found) return found.error();
    return read_calls(*found);
  }

 private:
  static std::vector<CallRow> read_calls(const fhir::PostgresResult& r) {
    std::vector<CallRow> out;
    out.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      CallRow row;
      row.id = r.integer(i, 0);
      row.recorded_ms = r.integer(i, 1);
      row.service = r.text(i, 2);
      row.hook = r.text(i, 3);
      row.hook_instance = r.text(i, 4);
      row.patient = r.text(i, 5);
      row.payer = r.text(i, 6);
      row.status = r.integer(i, 7);
      row.duration_us = r.integer(i, 8);
      if (!r.is_null(i, 9)) row.request = r.text(i, 9);
      if (!r.is_null(i, 10)) row.response = r.text(i, 10);
      row.request_id = r.text(i, 11);
      row.compact = !r.is_null(i, 12);
      row.request_sha256 = detail::bytes_of_bytea(r.text(i, 12));
      row.request_bytes = r.integer(i, 13);
      row.response_sha256 = detail::bytes_of_bytea(r.text(i, 14));
      row.response_bytes = r.integer(i, 15);
      out.push_back(std::move(row));
    }
    return out;
  }

  // Removes the calls whose `column` ("recorded_ms" or "id") is below `value`.
  fhir::Result<int64_t> purge_below(const std::string& column, int64_t value) {
    std::lock_guard lock(mutex_);
    fhir::PostgresTransaction transaction(*db_);
    if (!transaction.begun()) return db_->error("cannot begin a purge");
    const std::string bound = std::to_string(value);
    // Feedback outlives the calls: it takes its card's attribution with it.
    const std::string keep =
        "UPDATE audit_feedback f SET payer = i.payer, rule_set_version = o.rule_set_version, rule_id = r.term, "
        "card_type = t.term FROM audit_card_origins o JOIN audit_invocations i ON i.id = o.invocation_id "
        "JOIN audit_terms r ON r.id = o.rule_term JOIN audit_terms t ON t.id = o.card_type_term "
        "WHERE o.card_uuid = f.card_key AND f.payer IS NULL AND i." + column + " < $1::bigint";
    const std::string cards = "DELETE FROM audit_card_origins WHERE invocation_id IN "
                              "(SELECT id FROM audit_invocations WHERE " + column + " < $1::bigint)";
    const std::string calls = "DELETE FROM audit_invocations WHERE " + column + " < $1::bigint";
    if (auto kept = db_->query("cannot purge", keep.c_str(), {bound}); !kept) return kept.error();
    if (auto gone = db_->query("cannot purge", cards.c_str(), {bound}); !gone) return gone.error();
    auto removed = db_->query("cannot purge", calls.c_str(), {bound});
    if (!removed) return removed.error();
    if (!transaction.commit()) return db_->error("cannot commit a purge");
    return removed->changed();
  }

  std::mutex mutex_;  // one statement sequence at a time on this connection
  std::unique_ptr<fhir::PostgresConnection> db_;
};

}  // namespace

namespace detail {

fhir::Result<std::unique_ptr<AuditStore>> open_postgres_audit_store(const std::string& url) {
  auto db = open_postgres_audit_database(url);
  if (!db) return db.error();
  return std::unique_ptr<AuditStore>(new PostgresAuditStore(std::move(db).value()));
}

}  // namespace detail

}  // namespace crdex::hooks
