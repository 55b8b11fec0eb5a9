#pragma once
// The two store back ends as test parameters: every case written with
// CRDEX_STORE_CASE runs twice, as <name>_sqlite (a temporary directory) and
// <name>_postgresql (a scratch database in the suite's PostgreSQL), on the
// same assertions.

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"
#include "support/fixtures.hpp"
#include "support/postgres_database.hpp"

namespace crdex::test {

// Where one case keeps its stores; a case may open several connections to
// the same place (as replicas do).
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  virtual fhir::StoreLocation location() const = 0;
  virtual std::string name() const = 0;
};

class SqliteBackend final : public StoreBackend {
 public:
  fhir::StoreLocation location() const override {
    fhir::StoreLocation location;
    location.sqlite_dir = dir_.path();
    return location;
  }
  std::string name() const override { return "sqlite"; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

class PostgresBackend final : public StoreBackend {
 public:
  fhir::StoreLocation location() const override {
    fhir::StoreLocation location;
    location.kind = fhir::StoreLocation::Kind::postgresql;
    location.postgres_url = database_.url();
    return location;
  }
  std::string name() const override { return "postgresql"; }
  const ScratchPostgresDatabase& database() const { return database_; }

 private:
  ScratchPostgresDatabase database_;
};

// The store a case opened, or the case stops with the reason it could not.
template <class Store>
std::shared_ptr<Store> required_store(fhir::Result<std::shared_ptr<Store>> opened) {
  BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  return std::move(opened).value();
}

}  // namespace crdex::test

// Declares <name>_sqlite and <name>_postgresql, both running the body that
// follows with `backend` (a const StoreBackend&).
#define CRDEX_STORE_CASE(name)                                           \
  static void name##_on(const crdex::test::StoreBackend& backend);      \
  BOOST_AUTO_TEST_CASE(name##_sqlite) {                                  \
    crdex::test::SqliteBackend backend;                                  \
    name##_on(backend);                                                  \
  }                                                                      \
  BOOST_AUTO_TEST_CASE(name##_postgresql) {                              \
    crdex::test::PostgresBackend backend;                                \
    name##_on(backend);                                                  \
  }                                                                      \
  static void name##_on(const crdex::test::StoreBackend& backend)
