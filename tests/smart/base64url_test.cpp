// Base64url and random tokens: the encodings every JOSE and PKCE value uses.
#include <boost/test/unit_test.hpp>

#include <set>

#include "crdex/smart/base64url.hpp"
#include "crdex/smart/random_token.hpp"

using namespace crdex::smart;

BOOST_AUTO_TEST_SUITE(smart_base64url)

// RFC 4648 §10 vectors, without padding and in the URL-safe alphabet.
BOOST_AUTO_TEST_CASE(rfc4648_vectors_round_trip) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (const auto& [plain, encoded] : vectors) {
    BOOST_TEST(base64url_encode(plain) == encoded);
    const auto decoded = base64url_decode(encoded);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST(std::string(decoded->begin(), decoded->end()) == plain);
  }
}

BOOST_AUTO_TEST_CASE(rejects_padding_foreign_characters_and_impossible_lengths) {
  BOOST_TEST(!base64url_decode("Zg==").has_value());
  BOOST_TEST(!base64url_decode("Zm9v+/8").has_value());
  BOOST_TEST(!base64url_decode("Z").has_value());
  BOOST_TEST(!base64url_decode("Zh").has_value());  // non-zero leftover bits
}

// RFC 7636 appendix B: the S256 example's verifier is 43 characters long.
BOOST_AUTO_TEST_CASE(random_tokens_are_distinct_and_url_safe) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto token = random_token();
    BOOST_TEST(token.size() == 43u);
    BOOST_TEST(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
               std::string::npos);
    seen.insert(std::move(token));
  }
  BOOST_TEST(seen.size() == 1000u);
}

BOOST_AUTO_TEST_SUITE_END()
