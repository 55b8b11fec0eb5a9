// Schema migrations: a rule store created by crdex before migrations existed
// (the SQLite schema of a9f1a97) is migrated in place without losing a row;
// a database newer than the binary is refused with a clear message; replicas
// opening one database at once migrate it once.

#include <boost/test/unit_test.hpp>

#include <thread>

#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/sqlite_database.hpp"
#include "store/store_backends.hpp"

namespace {

// rules.sqlite exactly as config/src/rule_store.cpp created it up to a9f1a97
// (no schema_version table), with two versions, a current pointer and a
// publisher token.
constexpr const char* kRuleStoreBeforeMigrations = R"sql(
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
INSERT INTO rule_set_versions VALUES ('acme', 1, 'alice', '2026-01-01T00:00:00Z', 'sha256:x', 'first', '{"v":1}');
INSERT INTO rule_set_versions VALUES ('acme', 2, 'bob', '2026-01-02T00:00:00Z', 'sha256:y', 'second', '{"v":2}');
INSERT INTO current_rule_sets VALUES ('acme', 1, '2026-01-03T00:00:00Z', 'carol');
)sql";

void check_migrated_rule_rows(crdex::config::RuleStore& store) {
  auto versions = store.versions("acme");
  BOOST_TEST_REQUIRE(versions.ok());
  BOOST_TEST_REQUIRE(versions->size() == 2u);
  BOOST_TEST((*versions)[1].author == "alice");
  BOOST_TEST((*versions)[0].comment == "second");
  auto current = store.current("acme");
  BOOST_TEST_REQUIRE(current.ok());
  BOOST_TEST(current->version == 1);  // the rolled-back pointer survived
  BOOST_TEST(current->document == R"({"v":1})");
  BOOST_TEST(store.payer_of_token("the old token")->value_or("") == "acme");
  // The new table works: a publish continues the numbering and advances the generation.
  const auto generation = *store.generation();
  auto next = store.publish("acme", R"({"v":3})", "dave", "");
  BOOST_TEST_REQUIRE(next.ok());
  BOOST_TEST(next->version == 3);
  BOOST_TEST(*store.generation() == generation + 1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_schema_migrations)

BOOST_AUTO_TEST_CASE(a_rule_store_from_before_migrations_is_migrated_in_place_sqlite) {
  crdex::test::TempDir dir;
  const auto file = dir.path() / "rules.sqlite";
  {
    auto db = crdex::fhir::SqliteDatabase::open(file, kRuleStoreBeforeMigrations, {.name = "old rule store"});
    BOOST_TEST_REQUIRE(db.ok());
    const std::string token_row = "INSERT INTO publishers VALUES ('acme', '" +
                                  crdex::config::sha256_checksum("the old token") + "')";
    BOOST_TEST_REQUIRE((*db)->exec(token_row.c_str()));
  }
  auto store = crdex::config::RuleStore::open(file);
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().message));
  check_migrated_rule_rows(**store);
  store->reset();
  auto db = crdex::fhir::SqliteDatabase::open(file, "", {.name = "check"});
  BOOST_TEST_REQUIRE(db.ok());
  crdex::fhir::SqliteStatement version(**db, "SELECT version FROM schema_version WHERE store = 'rule store'");
  BOOST_TEST_REQUIRE((version.step() == crdex::fhir::SqliteStep::row));
  BOOST_TEST(version.integer(0) == 2);
}

BOOST_AUTO_TEST_CASE(a_rule_store_at_schema_1_is_migrated_in_place_postgresql) {
  crdex::test::ScratchPostgresDatabase database;
  // What a crdex knowing only migration 1 left behind.
  database.exec(std::string(kRuleStoreBeforeMigrations) +
                "INSERT INTO publishers VALUES ('acme', '" + crdex::config::sha256_checksum("the old token") +
                "');"
                "CREATE TABLE schema_version (store TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT "
                "NOT NULL);"
                "INSERT INTO schema_version VALUES ('rule store', 1, '2026-01-01T00:00:00Z');");
  crdex::fhir::StoreLocation location;
  location.kind = crdex::fhir::StoreLocation::Kind::postgresql;
  location.postgres_url = database.url();
  auto store = crdex::config::open_rule_store(location);
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().message));
  check_migrated_rule_rows(**store);
  BOOST_TEST(database.scalar("SELECT version FROM schema_version WHERE store = 'rule store'") == "2");
}

CRDEX_STORE_CASE(a_database_newer_than_the_binary_is_refused) {
  {
    auto store = crdex::config::open_rule_store(backend.location());
    BOOST_TEST_REQUIRE(store.ok());
  }
  const char* newer = "UPDATE schema_version SET version = 99 WHERE store = 'rule store'";
  if (const auto* sqlite = dynamic_cast<const crdex::test::SqliteBackend*>(&backend)) {
    auto db = crdex::fhir::SqliteDatabase::open(sqlite->dir().path() / "rules.sqlite", "", {.name = "check"});
    BOOST_TEST_REQUIRE(db.ok());
    BOOST_TEST_REQUIRE((*db)->exec(newer));
  } else {
    dynamic_cast<const crdex::test::PostgresBackend&>(backend).database().exec(newer);
  }
  auto refused = crdex::config::open_rule_store(backend.location());
  BOOST_TEST_REQUIRE(!refused.ok());
  const std::string& message = refused.error().message;
  BOOST_TEST(message.find("rule store") != std::string::npos, message);
  BOOST_TEST(message.find("version 99, newer than this crdex knows (2)") != std::string::npos, message);
}

CRDEX_STORE_CASE(replicas_opening_one_database_together_migrate_it_once) {
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<crdex::config::RuleStore>> opened(kReplicas);
  std::vector<std::string> errors(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i)
    threads.emplace_back([&, i] {
      auto store = crdex::config::open_rule_store(backend.location());
      if (store) opened[i] = std::move(store).value();
      else errors[i] = store.error().message;
    });
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kReplicas; ++i) BOOST_TEST(errors[i].empty(), errors[i]);
  BOOST_TEST_REQUIRE(opened[0] != nullptr);
  // One generation row, so every replica counts the same changes.
  BOOST_TEST_REQUIRE(opened[0]->publish("acme", "x", "a", "").ok());
  for (const auto& store : opened)
    if (store) BOOST_TEST(*store->generation() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
