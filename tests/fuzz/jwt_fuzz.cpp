// Fuzz target: an Authorization bearer token of arbitrary bytes through the
// JWT parser and, when it parses, the signature check against an ES384 and an
// RS384 key (the raw r||s to DER conversion included). Every token comes from
// an unauthenticated caller, so neither step may crash, throw or accept a
// signature the keys did not make.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crdex/smart/jwk.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/signing_key.hpp"

namespace {

using crdex::smart::JwsAlgorithm;

// Keys made once per process: fresh ones, so no fuzz input can carry a valid signature.
const crdex::smart::Jwk& key_for(JwsAlgorithm algorithm) {
  static const auto make = [](JwsAlgorithm a, const char* kid) {
    auto signing = crdex::smart::SigningKey::generate(a, kid);
    if (!signing) std::abort();
    auto jwk = crdex::smart::parse_jwk(signing->public_jwk_json(a));
    if (!jwk) std::abort();
    return std::move(jwk).value();
  };
  static const auto es384 = make(JwsAlgorithm::ES384, "fuzz-es384");
  static const auto rs384 = make(JwsAlgorithm::RS384, "fuzz-rs384");
  return algorithm == JwsAlgorithm::ES384 ? es384 : rs384;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const auto jwt = crdex::smart::parse_jwt(token);
  if (!jwt) {
    if (jwt.error().message.empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  const JwsAlgorithm allowed[] = {JwsAlgorithm::ES384, JwsAlgorithm::RS384, JwsAlgorithm::RS256};
  for (const auto algorithm : {JwsAlgorithm::ES384, JwsAlgorithm::RS384}) {
    // A signature the fresh keys never made must never verify.
    if (!crdex::smart::verify_jwt_signature(*jwt, key_for(algorithm), allowed)) __builtin_trap();
  }
  return 0;
}
