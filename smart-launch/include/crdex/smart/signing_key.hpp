#pragma once
// Our own private keys: signing JWS (client assertions for SMART
// private_key_jwt, test tokens) and publishing the public half as a JWK.

#include <openssl/types.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/smart/jwk.hpp"

namespace crdex::smart {

class SigningKey {
 public:
  // An RSA (at least 2048 bits) or EC P-384 private key in PEM (PKCS#8 or the
  // traditional formats OpenSSL reads). `kid` names it in JWS headers and JWKs.
  static fhir::Result<SigningKey> from_pem(std::string_view pem, std::string kid);
  // A fresh key: RSA 2048 for RS256/RS384, P-384 for ES384.
  static fhir::Result<SigningKey> generate(JwsAlgorithm algorithm, std::string kid);

  const std::string& kid() const { return kid_; }
  bool is_rsa() const { return rsa_; }
  // True when the key can sign with `algorithm` (RSA: RS256/RS384; EC: ES384).
  bool fits(JwsAlgorithm algorithm) const;

  // The JWS signature of `signing_input` (ES384: raw r||s, 96 bytes).
  fhir::Result<std::vector<uint8_t>> sign(JwsAlgorithm algorithm, std::string_view signing_input) const;

  // The public JWK: {"kty","kid","use":"sig","alg",...} with n/e or crv/x/y.
  // `algorithm` goes into "alg" (an RSA key serves one algorithm per JWK).
  std::string public_jwk_json(JwsAlgorithm algorithm) const;
  // The private key as PKCS#8 PEM (to write key files; handle with care).
  std::string private_pem() const;
  EVP_PKEY* pkey() const { return key_.get(); }

 private:
  SigningKey(std::shared_ptr<EVP_PKEY> key, std::string kid, bool rsa)
      : key_(std::move(key)), kid_(std::move(kid)), rsa_(rsa) {}
  std::shared_ptr<EVP_PKEY> key_;
  std::string kid_;
  bool rsa_ = false;
};

// {"keys":[...]} of the keys' public JWKs, each with its algorithm.
struct PublishedKey {
  const SigningKey* key;
  JwsAlgorithm algorithm;
};
std::string public_jwks_json(std::span<const PublishedKey> keys);

}  // namespace crdex::smart
