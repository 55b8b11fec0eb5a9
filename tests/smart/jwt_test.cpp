// JOSE primitives: JWKs parsed into OpenSSL keys, JWTs parsed, signed and
// verified with an algorithm allowlist (CDS Hooks §JWT signing algorithm;
// conformance rows CH-26..28, CH-32).
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "crdex/smart/base64url.hpp"
#include "crdex/smart/jwk.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/signing_key.hpp"

using namespace crdex::smart;

namespace {

const std::string kClaims = R"({"iss":"https://ehr.example.org","aud":["https://a.example","https://b.example"],)"
                            R"("exp":1900000000,"iat":1800000000.5,"jti":"j-1","tenant":"t-9","n":3})";

SigningKey make_key(JwsAlgorithm algorithm, const std::string& kid) {
  auto key = SigningKey::generate(algorithm, kid);
  BOOST_REQUIRE(key.ok());
  return std::move(key).value();
}

Jwk public_of(const SigningKey& key, JwsAlgorithm algorithm) {
  auto jwk = parse_jwk(key.public_jwk_json(algorithm));
  BOOST_REQUIRE_MESSAGE(jwk.ok(), (jwk.ok() ? "" : jwk.error().message));
  return std::move(jwk).value();
}

Jwt parsed(const std::string& token) {
  auto jwt = parse_jwt(token);
  BOOST_REQUIRE_MESSAGE(jwt.ok(), (jwt.ok() ? "" : jwt.error().message));
  return std::move(jwt).value();
}

std::string unsigned_token(std::string_view header, std::string_view claims, std::string_view signature = "") {
  return base64url_encode(header) + "." + base64url_encode(claims) + "." + base64url_encode(signature);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(smart_jwt)

BOOST_AUTO_TEST_CASE(CH28_es384_rs384_rs256_sign_and_verify_through_public_jwks) {
  for (auto algorithm : {JwsAlgorithm::ES384, JwsAlgorithm::RS384, JwsAlgorithm::RS256}) {
    const auto key = make_key(algorithm, std::string("k-") + jws_algorithm_name(algorithm));
    auto token = sign_jwt(key, algorithm, kClaims, "https://ehr.example.org/jwks");
    BOOST_REQUIRE(token.ok());
    const Jwt jwt = parsed(*token);
    BOOST_TEST(jwt.alg == jws_algorithm_name(algorithm));
    BOOST_TEST(jwt.kid == key.kid());
    BOOST_TEST(jwt.typ == "JWT");
    BOOST_TEST(jwt.jku == "https://ehr.example.org/jwks");
    if (algorithm == JwsAlgorithm::ES384) BOOST_TEST(jwt.signature.size() == 96u);  // raw r||s, not DER
    BOOST_TEST(!verify_jwt_signature(jwt, public_of(key, algorithm), default_jws_algorithms()).has_value());
  }
}

// A token signed elsewhere (Python `cryptography`, DER signature converted to
// r||s as RFC 7518 §3.4 says): checks the r||s <-> DER conversion against an
// independent implementation, not only against our own signer.
BOOST_AUTO_TEST_CASE(CH28_es384_token_signed_by_another_implementation_verifies) {
  const auto jwk = parse_jwk(
      R"({"kty":"EC","crv":"P-384","kid":"py-ec","x":"ZbnffbkhRsVc9MyBpTodYdlwL5eAtXq2Zp84Ps6GUVIfwkSANJcQ1GuzK0lD8PFP",)"
      R"("y":"FO5D18C4sm-BmQ58hM93WRwyTXORzLQ4RDLQBSZerjsbwnFYXmtmg4ncz7jYcojS"})");
  BOOST_REQUIRE(jwk.ok());
  const std::string token =
      "eyJhbGciOiJFUzM4NCIsImtpZCI6InB5LWVjIiwidHlwIjoiSldUIn0.eyJpc3MiOiJweXRob24iLCJqdGkiOiIxIn0."
      "b47AM9Ny_Qs1khWBhCdClmqr6TC03TBDJ_t1LMMog5FCgRru0PhmKUUxQD5RbOlmPtH0hwTOoFdbxnabr6RbvNKhHdVXjYVkUhtl1vT2AuYNSzOr"
      "nqEVo0xvK8YnCGJC";
  BOOST_TEST(!verify_jwt_signature(parsed(token), *jwk, default_jws_algorithms()).has_value());
  // The same signature with r and s swapped must fail.
  Jwt swapped = parsed(token);
  std::rotate(swapped.signature.begin(), swapped.signature.begin() + 48, swapped.signature.end());
  BOOST_TEST(verify_jwt_signature(swapped, *jwk, default_jws_algorithms()).has_value());
}

BOOST_AUTO_TEST_CASE(claims_are_read_with_their_types) {
  const auto key = make_key(JwsAlgorithm::ES384, "k");
  const Jwt jwt = parsed(*sign_jwt(key, JwsAlgorithm::ES384, kClaims));
  BOOST_TEST(jwt.iss == "https://ehr.example.org");
  BOOST_TEST(jwt.aud.size() == 2u);
  BOOST_TEST(jwt.aud[1] == "https://b.example");
  BOOST_TEST(*jwt.exp == 1900000000);
  BOOST_TEST(*jwt.iat == 1800000000);  // fractions are cut
  BOOST_TEST(jwt.jti == "j-1");
  BOOST_TEST(*jwt.string_claim("tenant") == "t-9");
  BOOST_TEST(!jwt.string_claim("n").has_value());
  BOOST_TEST(!jwt.nbf.has_value());
}

BOOST_AUTO_TEST_CASE(CH32_wrong_key_and_tampered_payload_do_not_verify) {
  const auto key = make_key(JwsAlgorithm::RS384, "k");
  const auto other = make_key(JwsAlgorithm::RS384, "k");
  const std::string token = *sign_jwt(key, JwsAlgorithm::RS384, kClaims);
  BOOST_TEST(verify_jwt_signature(parsed(token), public_of(other, JwsAlgorithm::RS384), default_jws_algorithms())
                 ->message == "the token's signature does not verify");

  const auto dot = token.find('.');
  const std::string forged = token.substr(0, dot + 1) +
                             base64url_encode(R"({"iss":"https://ehr.example.org","exp":9999999999})") +
                             token.substr(token.rfind('.'));
  BOOST_TEST(verify_jwt_signature(parsed(forged), public_of(key, JwsAlgorithm::RS384), default_jws_algorithms())
                 .has_value());
}

BOOST_AUTO_TEST_CASE(CH26_alg_none_is_never_accepted) {
  const auto key = make_key(JwsAlgorithm::ES384, "k");
  const Jwt jwt = parsed(unsigned_token(R"({"alg":"none","kid":"k","typ":"JWT"})", kClaims));
  BOOST_TEST(!jwt.algorithm.has_value());
  auto error = verify_jwt_signature(jwt, public_of(key, JwsAlgorithm::ES384), default_jws_algorithms());
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST(error->http_status == 401);
  BOOST_TEST(error->message == "the token's algorithm \"none\" is not accepted");
}

// The algorithm-confusion attack: HMAC keyed with the public key's bytes.
BOOST_AUTO_TEST_CASE(CH27_hs256_keyed_with_the_public_jwk_is_refused) {
  const auto key = make_key(JwsAlgorithm::RS256, "k");
  const Jwt jwt = parsed(unsigned_token(R"({"alg":"HS256","kid":"k","typ":"JWT"})", kClaims, key.public_jwk_json(JwsAlgorithm::RS256)));
  BOOST_TEST(!parse_jws_algorithm("HS256").has_value());
  BOOST_TEST(verify_jwt_signature(jwt, public_of(key, JwsAlgorithm::RS256), default_jws_algorithms()).has_value());
}

BOOST_AUTO_TEST_CASE(algorithm_outside_the_allowlist_or_not_fitting_the_key_is_refused) {
  const auto key = make_key(JwsAlgorithm::RS256, "k");
  const Jwt jwt = parsed(*sign_jwt(key, JwsAlgorithm::RS256, kClaims));
  const JwsAlgorithm only_es384[] = {JwsAlgorithm::ES384};
  BOOST_TEST(verify_jwt_signature(jwt, public_of(key, JwsAlgorithm::RS256), only_es384)->message ==
             "the token's algorithm \"RS256\" is not accepted");
  // The JWK says RS384: an RS256 token may not use it.
  BOOST_TEST(verify_jwt_signature(jwt, public_of(key, JwsAlgorithm::RS384), default_jws_algorithms())->message ==
             "the key \"k\" is not a key for RS256");
  // An EC key never verifies an RS token, and the other way round.
  const auto ec = make_key(JwsAlgorithm::ES384, "k");
  BOOST_TEST(verify_jwt_signature(jwt, public_of(ec, JwsAlgorithm::ES384), default_jws_algorithms()).has_value());
}

BOOST_AUTO_TEST_CASE(es384_signature_in_der_form_is_refused) {
  const auto key = make_key(JwsAlgorithm::ES384, "k");
  Jwt jwt = parsed(*sign_jwt(key, JwsAlgorithm::ES384, kClaims));
  jwt.signature.resize(100);  // the length a DER encoding might have
  BOOST_TEST(verify_jwt_signature(jwt, public_of(key, JwsAlgorithm::ES384), default_jws_algorithms())->message ==
             "an ES384 signature must be 96 bytes (r||s)");
}

BOOST_AUTO_TEST_CASE(CH25_malformed_tokens_are_refused_with_a_reason) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "the bearer token is empty"},
      {"abc", "the bearer token is not a JWT in compact form (three dot-separated parts)"},
      {"a.b.c.d", "the bearer token is not a JWT in compact form (three dot-separated parts)"},
      {"!!.e30.", "the token's header is not base64url"},
      {base64url_encode("[1]") + ".e30.", "the token's header is not a JSON object"},
      {".e30.", "the token's header is empty"},  // found by the jwt fuzz target
      {base64url_encode(R"({"alg":"ES384"})") + "..", "the token's payload is empty"},
      {unsigned_token(R"({"kid":"k"})", "{}"), "the token's header has no \"alg\""},
      {unsigned_token(R"({"alg":"ES384","alg":"none"})", "{}"), "the token's header names \"alg\" twice"},
      {unsigned_token(R"({"alg":"ES384","kid":7})", "{}"), "the token's \"kid\" is not a string"},
      {unsigned_token(R"({"alg":"ES384"})", R"({"exp":"soon"})"), "the token's \"exp\" is not a NumericDate"},
      {unsigned_token(R"({"alg":"ES384"})", R"({"aud":[1]})"), "the token's \"aud\" array holds a non-string"},
      {std::string(kMaxJwtBytes + 1, 'a'), "the bearer token is longer than 16384 bytes"},
  };
  for (const auto& [token, message] : cases) {
    auto jwt = parse_jwt(token);
    BOOST_REQUIRE(!jwt.ok());
    BOOST_TEST(jwt.error().message == message);
    BOOST_TEST(jwt.error().http_status == 401);
  }
}

BOOST_AUTO_TEST_CASE(CH32_jwks_finds_keys_by_kid_and_skips_unusable_types) {
  const auto ec = make_key(JwsAlgorithm::ES384, "ec-1");
  const auto rsa = make_key(JwsAlgorithm::RS384, "rsa-1");
  const PublishedKey published[] = {{&ec, JwsAlgorithm::ES384}, {&rsa, JwsAlgorithm::RS384}};
  std::string json = public_jwks_json(published);
  json.insert(json.size() - 2, R"(,{"kty":"oct","kid":"hmac","k":"c2VjcmV0"})");
  auto jwks = parse_jwks(json);
  BOOST_REQUIRE_MESSAGE(jwks.ok(), (jwks.ok() ? "" : jwks.error().message));
  BOOST_TEST(jwks->keys().size() == 2u);
  BOOST_TEST(jwks->find("ec-1")->kty() == "EC");
  BOOST_TEST(jwks->find("rsa-1")->fits(JwsAlgorithm::RS384));
  BOOST_TEST(!jwks->find("rsa-1")->fits(JwsAlgorithm::RS256));
  BOOST_TEST(jwks->find("hmac") == nullptr);
  BOOST_TEST(jwks->find("nope") == nullptr);
}

BOOST_AUTO_TEST_CASE(malformed_jwks_are_refused) {
  const auto rsa = make_key(JwsAlgorithm::RS384, "dup");
  const std::string jwk = rsa.public_jwk_json(JwsAlgorithm::RS384);
  BOOST_TEST(!parse_jwks("{}").ok());
  BOOST_TEST(!parse_jwks("{\"keys\":[" + jwk + "," + jwk + "]}").ok());
  BOOST_TEST(!parse_jwk(R"({"kty":"RSA","n":"AQAB","e":"AQAB"})").ok());  // far too short
  BOOST_TEST(!parse_jwk(R"({"kty":"EC","crv":"P-384","x":"AA","y":"AA"})").ok());
  // A point with valid length that is not on the curve.
  const std::string zeros = base64url_encode(std::string(47, '\0') + "\x01");
  BOOST_TEST(!parse_jwk(R"({"kty":"EC","crv":"P-384","x":")" + zeros + R"(","y":")" + zeros + "\"}").ok());
  BOOST_TEST(!parse_jwk(R"({"kty":"EC","crv":"P-256","x":"AA","y":"AA"})").ok());
  auto enc = std::string(jwk);
  enc.replace(enc.find("\"use\":\"sig\""), 11, "\"use\":\"enc\"");
  BOOST_TEST(!parse_jwk(enc).ok());
}

BOOST_AUTO_TEST_CASE(signing_keys_round_trip_through_pem) {
  for (auto algorithm : {JwsAlgorithm::ES384, JwsAlgorithm::RS384}) {
    const auto key = make_key(algorithm, "k");
    auto loaded = SigningKey::from_pem(key.private_pem(), "k2");
    BOOST_REQUIRE(loaded.ok());
    BOOST_TEST(loaded->kid() == "k2");
    const Jwt jwt = parsed(*sign_jwt(*loaded, algorithm, kClaims));
    BOOST_TEST(!verify_jwt_signature(jwt, public_of(key, algorithm), default_jws_algorithms()).has_value());
  }
  BOOST_TEST(!SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "x").ok());
  const auto rsa = make_key(JwsAlgorithm::RS384, "k");
  BOOST_TEST(!rsa.sign(JwsAlgorithm::ES384, "x").ok());
}

BOOST_AUTO_TEST_SUITE_END()
