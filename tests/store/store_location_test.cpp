// --store URLs: the embedded default, sqlite:DIR, PostgreSQL URLs handed to
// libpq, and a clear refusal of anything else.

#include <boost/test/unit_test.hpp>

#include "crdex/fhir/store_location.hpp"

using crdex::fhir::parse_store_location;
using crdex::fhir::StoreLocation;

BOOST_AUTO_TEST_SUITE(store_location)

BOOST_AUTO_TEST_CASE(absent_is_sqlite_under_the_data_directory) {
  auto location = parse_store_location("", "/var/lib/crdex");
  BOOST_TEST_REQUIRE(location.ok());
  BOOST_TEST((location->kind == StoreLocation::Kind::sqlite));
  BOOST_TEST(location->sqlite_dir == "/var/lib/crdex");
}

BOOST_AUTO_TEST_CASE(sqlite_urls_name_the_directory) {
  BOOST_TEST(parse_store_location("sqlite:/srv/crdex", "x")->sqlite_dir == "/srv/crdex");
  BOOST_TEST(parse_store_location("sqlite:///srv/crdex", "x")->sqlite_dir == "/srv/crdex");
  BOOST_TEST(parse_store_location("sqlite:state", "x")->sqlite_dir == "state");
  BOOST_TEST(!parse_store_location("sqlite:", "x").ok());
}

BOOST_AUTO_TEST_CASE(postgresql_urls_are_kept_for_libpq) {
  auto location = parse_store_location("postgresql://crdex@db.example.org:5432/crdex", "x");
  BOOST_TEST_REQUIRE(location.ok());
  BOOST_TEST(location->is_postgresql());
  BOOST_TEST(location->postgres_url == "postgresql://crdex@db.example.org:5432/crdex");
  BOOST_TEST(parse_store_location("postgres://u@/crdex?host=/run/postgresql", "x")->is_postgresql());
  BOOST_TEST(!parse_store_location("postgresql://crdex@db.example.org:5432/", "x").ok());
  BOOST_TEST(!parse_store_location("postgresql://crdex@db.example.org", "x").ok());
}

BOOST_AUTO_TEST_CASE(passwords_never_reach_the_log) {
  auto location = parse_store_location("postgresql://crdex:s3cret@db/crdex?sslmode=require&password=other", "x");
  BOOST_TEST_REQUIRE(location.ok());
  const std::string shown = location->describe();
  BOOST_TEST(shown.find("s3cret") == std::string::npos, shown);
  BOOST_TEST(shown.find("other") == std::string::npos, shown);
  BOOST_TEST(shown.find("crdex:***@db/crdex") != std::string::npos, shown);
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused_naming_both_forms) {
  for (const char* url : {"mysql://u@h/db", "/var/lib/crdex", "postgresql://u@h/db with space"}) {
    auto location = parse_store_location(url, "x");
    BOOST_TEST_REQUIRE(!location.ok(), url);
    BOOST_TEST(location.error().message.find("sqlite:DIR") != std::string::npos);
    BOOST_TEST(location.error().message.find("postgresql://user@host:port/database") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
