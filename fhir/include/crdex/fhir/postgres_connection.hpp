#pragma once
// The PostgreSQL stores' common ground (the counterpart of sqlite_database.hpp):
// one libpq connection to the database `--store postgresql://...` names,
// statements with text parameters ($1, $2, ...), results read as text, a
// transaction that rolls back unless committed, and LISTEN/NOTIFY for the
// announcements replicas send each other. Failures come back as Error values
// naming the store and PostgreSQL's own reason ("rule store: cannot store the
// version: ..."). A connection that broke (the server restarted) is reset
// before the next statement.
//
// [not concurrent]: a connection runs one statement at a time; each store
// guards its connection with its own mutex.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"

struct pg_conn;
struct pg_result;

namespace crdex::fhir {

// The rows of one statement, read as text.
class PostgresResult {
 public:
  explicit PostgresResult(pg_result* result) : result_(result) {}
  ~PostgresResult();
  PostgresResult(PostgresResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PostgresResult& operator=(PostgresResult&&) = delete;
  PostgresResult(const PostgresResult&) = delete;

  int rows() const;
  std::string text(int row, int column) const;  // "" for NULL
  int64_t integer(int row, int column) const;   // 0 for NULL or not a number
  bool is_null(int row, int column) const;
  // Rows an INSERT, UPDATE or DELETE changed.
  int64_t changed() const;
  // Whether the statement succeeded (with or without rows).
  bool ok_status() const;

 private:
  pg_result* result_;
};

// A parameter: text, or NULL when empty-optional.
using PostgresParam = std::optional<std::string>;

class PostgresConnection {
 public:
  // Connects to `url` (a libpq connection URI); `name` names the store in errors.
  static Result<std::unique_ptr<PostgresConnection>> open(const std::string& url, std::string name);
  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // One statement with parameters; `what` says what it was for in the error.
  Result<PostgresResult> query(std::string_view what, const char* sql, const std::vector<PostgresParam>& params = {});
  // One or more statements without parameters or rows (schema, BEGIN, ...).
  Result<bool> exec(std::string_view what, const char* sql);
  // "<name>: <what>: <PostgreSQL's message>" as a 500.
  Error error(std::string_view what) const;

  // Runs `sql` now and again on every fresh session after a reset: session
  // state a store relies on (e.g. a session advisory lock that says "this
  // replica is alive", which ends with the session).
  Result<bool> run_on_every_session(std::string_view what, std::string sql);

  // LISTEN on `channel` (a fixed identifier).
  Result<bool> listen(const char* channel);
  // Waits up to `timeout` for notifications on the channels listened to; true
  // when at least one arrived (all that arrived are consumed). A broken
  // connection is reset (listening again) and counts as a notification, since
  // announcements may have been missed meanwhile.
  bool wait_for_notification(std::chrono::milliseconds timeout);

  const std::string& name() const { return name_; }

 private:
  PostgresConnection(pg_conn* conn, std::string name) : conn_(conn), name_(std::move(name)) {}
  bool ensure_connected();
  pg_conn* conn_;
  std::string name_;
  std::vector<std::string> listening_;
  std::string session_setup_;
};

// BEGIN; ROLLBACK unless commit() succeeded.
class PostgresTransaction {
 public:
  explicit PostgresTransaction(PostgresConnection& db) : db_(db) { begun_ = db_.exec("begin", "BEGIN").ok(); }
  ~PostgresTransaction() {
    if (begun_ && !committed_) (void)db_.exec("rollback", "ROLLBACK");
  }
  PostgresTransaction(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(const PostgresTransaction&) = delete;

  bool begun() const { return begun_; }
  bool commit() { return committed_ = db_.exec("commit", "COMMIT").ok(); }

 private:
  PostgresConnection& db_;
  bool begun_ = false;
  bool committed_ = false;
};

}  // namespace crdex::fhir
