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
  return true;
}

Result<PostgresResult> PostgresConnection::query(std::string_view what, const char* sql,
                                                 const std::vector<PostgresParam>& params) {
  if (!ensure_connected()) return error(what);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  pg_result* raw =
      PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(raw);
  PostgresResult result(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(what);
  return result;
}

Result<bool> PostgresConnection::exec(std::string_view what, const char* sql) {
  if (!ensure_connected()) return error(what);
  PostgresResult result(PQexec(conn_, sql));
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
  if (PQstatus(conn_) != CONNECTION_OK) {
    // Announcements were missed while the connection was down.
    return ensure_connected();
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
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  if (fd.fd < 0) return ensure_connected();
  if (poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return false;
  if (!PQconsumeInput(conn_)) {
    ensure_connected();
    return true;
  }
  return drain();
}

}  // namespace crdex::fhir
