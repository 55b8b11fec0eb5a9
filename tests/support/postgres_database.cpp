#include "support/postgres_database.hpp"

#include <libpq-fe.h>

#include <fstream>
#include <random>
#include <stdexcept>

namespace crdex::test {

namespace {

// One connection, one statement, the first value; throws with PostgreSQL's message.
std::string run_on(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to the test PostgreSQL: " + message);
  }
  PGresult* result = PQexec(conn, sql.c_str());
  const auto status = PQresultStatus(result);
  std::string value;
  if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) value = PQgetvalue(result, 0, 0);
  const std::string message = PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("test PostgreSQL: " + sql + ": " + message);
  return value;
}

std::string with_database(const std::string& url, const std::string& database) {
  // postgresql://crdex@/crdex_test?host=/tmp/... -> .../<database>?host=...
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme + 3);
  const size_t query = url.find('?', slash);
  return url.substr(0, slash + 1) + database + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace

std::string postgres_fixture_url() {
  std::ifstream in(std::string(CRDEX_POSTGRES_FIXTURE_DIR) + "/url");
  std::string url;
  if (!std::getline(in, url) || url.empty())
    throw std::runtime_error("no test PostgreSQL: run through ctest (the fixture postgres:start starts it), or "
                             "tests/support/postgres_fixture.sh start " CRDEX_POSTGRES_FIXTURE_DIR);
  return url;
}

ScratchPostgresDatabase::ScratchPostgresDatabase() {
  const std::string base = postgres_fixture_url();
  std::random_device random;
  name_ = "crdex_t_" + std::to_string(random()) + std::to_string(random());
  run_on(base, "CREATE DATABASE " + name_);
  url_ = with_database(base, name_);
}

ScratchPostgresDatabase::~ScratchPostgresDatabase() {
  try {
    run_on(postgres_fixture_url(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The fixture's cleanup removes the whole server anyway.
  }
}

void ScratchPostgresDatabase::exec(const std::string& sql) const { run_on(url_, sql); }

std::string ScratchPostgresDatabase::scalar(const std::string& sql) const { return run_on(url_, sql); }

}  // namespace crdex::test
