// The one reader of `Authorization: Bearer <token>`.

#include <boost/test/unit_test.hpp>

#include "bearer_token.hpp"

using crdex::server::bearer_token;

BOOST_AUTO_TEST_SUITE(server_bearer_token)

BOOST_AUTO_TEST_CASE(the_scheme_is_case_insensitive_and_spaces_around_the_token_are_ignored) {
  BOOST_TEST(bearer_token("Bearer abc.def").value() == "abc.def");
  BOOST_TEST(bearer_token("bearer abc").value() == "abc");
  BOOST_TEST(bearer_token("BEARER   abc  ").value() == "abc");
}

BOOST_AUTO_TEST_CASE(other_schemes_and_empty_tokens_are_not_bearer_tokens) {
  BOOST_TEST(!bearer_token(""));
  BOOST_TEST(!bearer_token("Bearer"));
  BOOST_TEST(!bearer_token("Bearer    "));
  BOOST_TEST(!bearer_token("Basic dXNlcjpwYXNz"));
  BOOST_TEST(!bearer_token("Bearerabc"));
  BOOST_TEST(!bearer_token("Bear abc"));
}

BOOST_AUTO_TEST_SUITE_END()
