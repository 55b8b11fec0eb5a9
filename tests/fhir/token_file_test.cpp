// The one token-file reader: first line, trailing white space dropped, one
// length rule, errors that name the option and the file.

#include <boost/test/unit_test.hpp>

#include <fstream>

#include "crdex/fhir/token_file.hpp"
#include "support/fixtures.hpp"

using crdex::fhir::read_token_file;

BOOST_AUTO_TEST_SUITE(fhir_token_file)

BOOST_AUTO_TEST_CASE(the_first_line_without_trailing_white_space_is_the_token) {
  crdex::test::TempDir dir;
  std::ofstream(dir.path() / "token") << "0123456789abcdef-xyz \t\r\nsecond line\n";
  const auto token = read_token_file(dir.path() / "token", "--some-token-file");
  BOOST_REQUIRE(token.ok());
  BOOST_TEST(*token == "0123456789abcdef-xyz");
}

BOOST_AUTO_TEST_CASE(short_empty_and_missing_files_are_refused_naming_the_option) {
  crdex::test::TempDir dir;
  std::ofstream(dir.path() / "short") << "0123456789abcde\n";  // 15 characters
  std::ofstream(dir.path() / "empty") << "";
  for (const auto* name : {"short", "empty", "missing"}) {
    const auto token = read_token_file(dir.path() / name, "--some-token-file");
    BOOST_REQUIRE(!token.ok());
    BOOST_TEST(token.error().message.find("--some-token-file") == 0u, token.error().message);
    BOOST_TEST(token.error().message.find(name) != std::string::npos);
  }
  BOOST_TEST(read_token_file(dir.path() / "short", "x").error().message.find("at least 16 characters") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
