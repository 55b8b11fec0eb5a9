#include "crdex/smart/jwk.hpp"

#include <openssl/core_names.h>
#include <simdjson.h>

#include <array>

#include "crdex/smart/base64url.hpp"
#include "ossl.hpp"
#include "ecdsa_signature.hpp"

namespace crdex::smart {

namespace {

constexpr int kMinRsaBits = 2048;

// A required base64url member of the JWK, decoded.
fhir::Result<std::vector<uint8_t>> bytes_member(simdjson::dom::object jwk, std::string_view name) {
  std::string_view text;
  if (jwk[name].get(text) != simdjson::SUCCESS) return fhir::Error::invalid("JWK: \"" + std::string(name) + "\" is missing");
  auto bytes = base64url_decode(text);
  if (!bytes || bytes->empty()) return fhir::Error::invalid("JWK: \"" + std::string(name) + "\" is not base64url");
  return std::move(*bytes);
}

fhir::Result<std::shared_ptr<EVP_PKEY>> from_params(const char* type, OSSL_PARAM_BLD* builder) {
  ossl::Ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder));
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ossl::clear_errors();
    return fhir::Error::invalid(std::string("JWK: not a valid ") + type + " public key");
  }
  return ossl::share(key);
}

fhir::Result<std::shared_ptr<EVP_PKEY>> rsa_key(simdjson::dom::object jwk) {
  auto n = bytes_member(jwk, "n");
  if (!n) return n.error();
  auto e = bytes_member(jwk, "e");
  if (!e) return e.error();
  if (n->front() == 0) return fhir::Error::invalid("JWK: \"n\" has a leading zero byte");
  if (static_cast<int>(n->size()) * 8 < kMinRsaBits) return fhir::Error::invalid("JWK: RSA keys need at least 2048 bits");
  if (e->size() > 8) return fhir::Error::invalid("JWK: \"e\" is implausibly large");
  auto n_bn = ossl::bignum(*n);
  auto e_bn = ossl::bignum(*e);
  ossl::Ptr<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
  if (!n_bn || !e_bn || !builder || !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) ||
      !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()))
    return fhir::Error::invalid("JWK: cannot build the RSA key");
  return from_params("RSA", builder.get());
}

fhir::Result<std::shared_ptr<EVP_PKEY>> ec_key(simdjson::dom::object jwk) {
  auto x = bytes_member(jwk, "x");
  if (!x) return x.error();
  auto y = bytes_member(jwk, "y");
  if (!y) return y.error();
  if (x->size() != kP384Width || y->size() != kP384Width)
    return fhir::Error::invalid("JWK: P-384 coordinates must be 48 bytes each");
  std::vector<uint8_t> point{0x04};  // uncompressed SEC1 point
  point.insert(point.end(), x->begin(), x->end());
  point.insert(point.end(), y->begin(), y->end());
  ossl::Ptr<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
  if (!builder || !OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
    return fhir::Error::invalid("JWK: cannot build the EC key");
  auto key = from_params("EC", builder.get());
  if (!key) return key;
  // Import decodes the point; this also rejects points off the curve.
  ossl::Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ossl::clear_errors();
    return fhir::Error::invalid("JWK: the EC point is not on P-384");
  }
  return key;
}

// kty + crv this build can use; others are skipped in a set.
bool usable_type(simdjson::dom::object jwk) {
  std::string_view kty, crv;
  if (jwk["kty"].get(kty) != simdjson::SUCCESS) return false;
  if (kty == "RSA") return true;
  return kty == "EC" && jwk["crv"].get(crv) == simdjson::SUCCESS && crv == "P-384";
}

fhir::Result<Jwk> parse_jwk_object(simdjson::dom::object object);

}  // namespace

// Gives the parsing helpers access to Jwk's private members.
class JwkAccess {
 public:
  static fhir::Result<Jwk> build(simdjson::dom::object object) {
    std::string_view kty, kid, use, alg;
    if (object["kty"].get(kty) != simdjson::SUCCESS) return fhir::Error::invalid("JWK: \"kty\" is missing");
    Jwk jwk;
    if (object["kid"].get(kid) == simdjson::SUCCESS) jwk.kid_ = kid;
    if (object["use"].get(use) == simdjson::SUCCESS && use != "sig")
      return fhir::Error::invalid("JWK " + jwk.kid_ + ": \"use\" is not \"sig\"");
    if (object["alg"].get(alg) == simdjson::SUCCESS) {
      jwk.alg_ = parse_jws_algorithm(alg);
      if (!jwk.alg_) return fhir::Error::invalid("JWK " + jwk.kid_ + ": \"alg\" " + std::string(alg) + " is not accepted");
    }
    fhir::Result<std::shared_ptr<EVP_PKEY>> key = fhir::Error::invalid("JWK: unsupported \"kty\" " + std::string(kty));
    if (kty == "RSA") {
      key = rsa_key(object);
    } else if (kty == "EC") {
      std::string_view crv;
      if (object["crv"].get(crv) != simdjson::SUCCESS || crv != "P-384")
        return fhir::Error::invalid("JWK " + jwk.kid_ + ": only EC keys on P-384 are accepted");
      key = ec_key(object);
    }
    if (!key) return key.error();
    jwk.kty_ = kty;
    jwk.key_ = std::move(key).value();
    return jwk;
  }
};

namespace {
fhir::Result<Jwk> parse_jwk_object(simdjson::dom::object object) { return JwkAccess::build(object); }
}  // namespace

std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name) {
  if (name == "RS256") return JwsAlgorithm::RS256;
  if (name == "RS384") return JwsAlgorithm::RS384;
  if (name == "ES384") return JwsAlgorithm::ES384;
  return std::nullopt;
}

const char* jws_algorithm_name(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::RS256: return "RS256";
    case JwsAlgorithm::RS384: return "RS384";
    case JwsAlgorithm::ES384: return "ES384";
  }
  return "?";
}

std::span<const JwsAlgorithm> default_jws_algorithms() {
  static constexpr std::array kDefault{JwsAlgorithm::ES384, JwsAlgorithm::RS384, JwsAlgorithm::RS256};
  return kDefault;
}

bool Jwk::fits(JwsAlgorithm algorithm) const {
  if (alg_ && *alg_ != algorithm) return false;
  return algorithm == JwsAlgorithm::ES384 ? kty_ == "EC" : kty_ == "RSA";
}

fhir::Result<Jwk> parse_jwk(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json.data(), json.size()).get(object) != simdjson::SUCCESS)
    return fhir::Error::invalid("JWK: not a JSON object");
  return parse_jwk_object(object);
}

const Jwk* Jwks::find(std::string_view kid) const {
  for (const auto& key : keys_)
    if (key.kid() == kid) return &key;
  return nullptr;
}

fhir::Result<Jwks> parse_jwks(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json.data(), json.size()).get(object) != simdjson::SUCCESS)
    return fhir::Error::invalid("JWKS: not a JSON object");
  simdjson::dom::array keys;
  if (object["keys"].get(keys) != simdjson::SUCCESS) return fhir::Error::invalid("JWKS: \"keys\" is missing or not an array");
  Jwks set;
  for (simdjson::dom::element element : keys) {
    simdjson::dom::object key;
    if (element.get(key) != simdjson::SUCCESS) return fhir::Error::invalid("JWKS: a key is not a JSON object");
    std::string_view kid;
    if (!usable_type(key) || key["kid"].get(kid) != simdjson::SUCCESS || kid.empty()) continue;
    auto parsed = parse_jwk_object(key);
    if (!parsed) return parsed.error();
    if (set.find(parsed->kid())) return fhir::Error::invalid("JWKS: two keys share the kid \"" + parsed->kid() + "\"");
    set.keys_.push_back(std::move(parsed).value());
  }
  return set;
}

}  // namespace crdex::smart
