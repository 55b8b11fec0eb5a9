#include "crdex/fhir/postgres_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>

namespace crdex::fhir {

PostgresResult::~PostgresResult() { PQclear(result_); }

int PostgresResult::rows() const { return result_ ? PQntuples(result_) : 0; }

std::string PostgresResult::text(int row, int column) const {
  if (!result_ || PQgetisnull(result_, row, column)) return {};
  return std::string(PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PostgresResult::integer(int row, int column) const {
  const std::string value = text(row, column);
  int64_t out = 0;
  std::from_chars(value.data(), value.data() + value.size(), out);
  return out;
}

bool PostgresResult::ok_status() const {
  const auto status = PQresultStatus(result_);
  return result_ && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY);
}

bool PostgresResult::is_null(int row, int column) const { return !result_ || PQgetisnull(result_, row, column); }

int64_t PostgresResult::changed() const {
  const char* count = result_ ? PQcmdTuples(result_) : "";
  int64_t out = 0;
  std::from_chars(count, count + std::char_traits<char>::length(count), out);
  return out;
}

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::open(const std::string& url, std::string name) {
  pg_conn* conn = PQconnectdb(url.c_str());
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    std::string message = conn ? PQerrorMessage(conn) : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    PQfinish(conn);
    return Error{500, IssueType::exception, name + ": cannot connect to PostgreSQL: " + message, ""};
  }
  std::unique_ptr<PostgresConnection> db(new PostgresConnection(conn, std::move(name)));
  // Quiet NOTICEs ("relation already exists, skipping") and a UTC session.
  if (auto set = db->exec("cannot prepare the session", "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
      !set)
    return set.error();
  return db;
}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

Error PostgresConnection::error(std::string_view what) const {
  std::string message = PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Error{500, IssueType::exception, name_ + ": " + std::string(what) + ": " + message, ""};
}

bool PostgresConnection::ensure_connected() {
  if (PQstatus(conn_) == CONNECTION_OK) return true;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return false;
  (void)exec("cannot prepare the session", "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
  for (const auto& channel : listening_) {
    const std::string sql = "LISTEN " + channel;
    PQclear(PQexec(conn_, sql.c_str()));
  }
  if (!session_setup_.empty()) PQclear(PQexec(conn_, session_setup_.c_str()));
  return true;
}

Result<bool> PostgresConnection::run_on_every_session(std::string_view what, std::string sql) {
  session_setup_ = std::move(sql);
  return exec(what, session_setup_.c_str());
}

Result<PostgresResult> PostgresConnection::query(std::string_view what, const char* sql,
                                                 const std::vector<PostgresParam>& params) {
  if (!ensure_connected()) return error(what);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  // Outside a transaction a statement that met a connection the server had
  // closed (a restart, a fail-over) runs once more on a fresh one; inside a
  // transaction the failure stands, since the transaction is gone with it.
  const bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  auto run = [&] {
    return PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  };
  pg_result* raw = run();
  if (idle && PQstatus(conn_) == CONNECTION_BAD && ensure_connected()) {
    PQclear(raw);
    raw = run();
  }
  const auto status = PQresultStatus(raw);
  PostgresResult result(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(what);
  return result;
}

Result<bool> PostgresConnection::exec(std::string_view what, const char* sql) {
  if (!ensure_connected()) return error(what);
  const bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  pg_result* raw = PQexec(conn_, sql);
  if (idle && PQstatus(conn_) == CONNECTION_BAD && ensure_connected()) {  // as in query()
    PQclear(raw);
    raw = PQexec(conn_, sql);
  }
  PostgresResult result(raw);
  // PQexec with several statements returns the last one's result; an
  // earlier failure stops the rest and is the one returned.
  if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) == PQTRANS_INERROR) return error(what);
  if (!result.ok_status()) return error(what);
  return true;
}

Result<bool> PostgresConnection::listen(const char* channel) {
  const std::string sql = std::string("LISTEN ") + channel;
  auto done = exec("cannot listen for announcements", sql.c_str());
  if (!done) return done;
  listening_.emplace_back(channel);
  return true;
}

bool PostgresConnection::wait_for_notification(std::chrono::milliseconds timeout) {
  // While the server is unreachable each call waits out its time-out, so a
  // caller looping on it does not spin on reconnection attempts.
  auto unreachable = [timeout] {
    poll(nullptr, 0, static_cast<int>(timeout.count()));
    return false;
  };
  if (PQstatus(conn_) != CONNECTION_OK) {
    // Announcements were missed while the connection was down.
    return ensure_connected() ? true : unreachable();
  }
  auto drain = [this] {
    bool any = false;
    while (PGnotify* notice = PQnotifies(conn_)) {
      PQfreemem(notice);
      any = true;
    }
    return any;
  };
  if (drain()) return true;
  // Input that is no notification (a server's goodbye before it closes the
  // connection) is consumed and the wait goes on until the time-out.
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) return ensure_connected() ? true : unreachable();
    if (poll(&fd, 1, static_cast<int>(left)) <= 0) return false;
    if (!PQconsumeInput(conn_) || PQstatus(conn_) != CONNECTION_OK)
      return ensure_connected() ? true : unreachable();
    if (drain()) return true;
  }
}

}  // namespace crdex::fhir
