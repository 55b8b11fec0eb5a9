#pragma once
// JSON Web Keys (RFC 7517) for verifying JWS signatures: the algorithms crdex
// accepts, one public key parsed once into an OpenSSL EVP_PKEY, and a key set
// looked up by `kid`.
//
// Only asymmetric algorithms exist here. `none` and the HMAC family (HS256,
// ...) have no JwsAlgorithm value at all, so no configuration or token can
// select them: CDS Hooks and SMART forbid both, and HMAC with a public key as
// the "secret" is the classic algorithm-confusion attack.

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"

namespace crdex::smart {

enum class JwsAlgorithm { RS256, RS384, ES384 };

// "RS256", "RS384", "ES384" -> the algorithm; nullopt for anything else,
// including "none" and "HS256".
std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name);
const char* jws_algorithm_name(JwsAlgorithm algorithm);

// The default allowlist: what CDS Hooks recommends (ES384, RS384) plus RS256.
std::span<const JwsAlgorithm> default_jws_algorithms();

// One public key. Copies share the same immutable EVP_PKEY, which OpenSSL
// allows several threads to verify with at once.
class Jwk {
 public:
  const std::string& kid() const { return kid_; }
  // "RSA" or "EC" (EC keys are always on P-384).
  const std::string& kty() const { return kty_; }
  // True when this key may verify `algorithm`: the key type and curve fit,
  // and the JWK's own `alg` member, when it has one, names the same algorithm.
  bool fits(JwsAlgorithm algorithm) const;
  EVP_PKEY* pkey() const { return key_.get(); }

 private:
  friend fhir::Result<Jwk> parse_jwk(std::string_view json);
  friend class JwkAccess;
  std::string kid_;
  std::string kty_;
  std::optional<JwsAlgorithm> alg_;
  std::shared_ptr<EVP_PKEY> key_;
};

// Parses one JWK: RSA (`n`, `e`, at least 2048 bits) or EC (`crv` P-384, `x`,
// `y`, a point on the curve). A key with `use` other than "sig" is refused.
// Private members (`d`, ...) are ignored: only the public part is kept.
// Errors name the member at fault, never key material.
fhir::Result<Jwk> parse_jwk(std::string_view json);

// A JWK Set (`{"keys":[...]}`). Keys of types crdex cannot use (e.g. "oct",
// "OKP", EC P-256) are skipped, as RFC 7517 §5 asks; a usable key that is
// malformed fails the whole set. Keys without a `kid` are skipped too
// (CDS Hooks selects keys by kid only).
class Jwks {
 public:
  const Jwk* find(std::string_view kid) const;
  const std::vector<Jwk>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

 private:
  friend fhir::Result<Jwks> parse_jwks(std::string_view json);
  std::vector<Jwk> keys_;
};

fhir::Result<Jwks> parse_jwks(std::string_view json);

}  // namespace crdex::smart
