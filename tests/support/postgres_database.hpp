#pragma once
// The suite's PostgreSQL (one server per CTest run, started by the fixture
// tests/support/postgres_fixture.sh) and a scratch database in it per test
// case, so cases never see each other's rows.
//
// The fixture writes the server's URL to CRDEX_POSTGRES_FIXTURE_DIR/url
// (a compile-time path in the build tree). A test that needs PostgreSQL and
// finds no URL fails, naming the fixture: the store tests are registered
// with FIXTURES_REQUIRED, so under CTest the server is there.

#include <string>

namespace crdex::test {

// The URL of the fixture's database (crdex_test); throws when the fixture
// did not run.
std::string postgres_fixture_url();

// A fresh database (CREATE DATABASE crdex_t_<random>), dropped on destruction.
class ScratchPostgresDatabase {
 public:
  ScratchPostgresDatabase();
  ~ScratchPostgresDatabase();
  ScratchPostgresDatabase(const ScratchPostgresDatabase&) = delete;
  ScratchPostgresDatabase& operator=(const ScratchPostgresDatabase&) = delete;

  const std::string& url() const { return url_; }
  // Runs SQL on the scratch database (set-up and checks in tests); throws on failure.
  void exec(const std::string& sql) const;
  // The first column of the first row of `sql`, as text ("" when no row).
  std::string scalar(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
};

}  // namespace crdex::test
