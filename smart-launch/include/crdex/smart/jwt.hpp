#pragma once
// JSON Web Tokens in JWS compact form (RFC 7519, RFC 7515): split and parse,
// verify the signature against an allowlist of algorithms, and sign.
//
// parse_jwt() checks only the form; it trusts nothing in the token. Callers
// verify the signature (verify_jwt_signature) and then the claims they need
// (iss, aud, exp, ...; see server/client_auth for CDS Hooks' rules).

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/smart/jwk.hpp"
#include "crdex/smart/signing_key.hpp"

namespace crdex::smart {

// Tokens longer than this are refused before any decoding (a JWT with a
// handful of claims is well under 2 KiB).
inline constexpr size_t kMaxJwtBytes = 16 * 1024;

struct Jwt {
  // Header. `alg` is the name as sent (may be "none" or "HS256": the
  // verifier refuses those); `algorithm` is set only for an algorithm crdex knows.
  std::string alg;
  std::optional<JwsAlgorithm> algorithm;
  std::string kid;
  std::string typ;
  std::string jku;
  // Registered claims (RFC 7519 §4.1); absent ones stay empty / nullopt.
  std::string iss;
  std::string sub;
  std::vector<std::string> aud;  // a string `aud` becomes one element
  std::string jti;
  std::optional<int64_t> exp;
  std::optional<int64_t> iat;
  std::optional<int64_t> nbf;
  // Every other top-level claim whose value is a string (e.g. "tenant").
  std::map<std::string, std::string, std::less<>> string_claims;
  // What the signature covers ("<header>.<payload>") and the signature bytes.
  std::string signing_input;
  std::vector<uint8_t> signature;

  std::optional<std::string_view> string_claim(std::string_view name) const;
};

// Splits and decodes a compact JWS: three base64url parts, header and payload
// JSON objects without duplicate member names, `alg` present, registered
// claims of the right types. Errors are 401 / security with a message that
// says what is wrong with the token.
fhir::Result<Jwt> parse_jwt(std::string_view compact, size_t max_bytes = kMaxJwtBytes);

// Verifies the signature of `jwt` with `key`: the token's algorithm must be in
// `allowed`, and the key must fit it (kty, curve, the JWK's own alg).
// ES384 signatures are the raw 96-byte r||s of RFC 7518 §3.4. Returns the
// failure or nullopt when the signature is good.
std::optional<fhir::Error> verify_jwt_signature(const Jwt& jwt, const Jwk& key,
                                                std::span<const JwsAlgorithm> allowed);

// Signs `claims_json` (a JSON object) with `key` as a compact JWS whose header
// is {"alg","kid","typ":"JWT"} plus "jku" when given.
fhir::Result<std::string> sign_jwt(const SigningKey& key, JwsAlgorithm algorithm, std::string_view claims_json,
                                   std::string_view jku = {});

}  // namespace crdex::smart
