#include "crdex/smart/jwt.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "crdex/fhir/json_writer.hpp"
#include "crdex/smart/base64url.hpp"
#include "ecdsa_signature.hpp"
#include "ossl.hpp"

namespace crdex::smart {

namespace {

fhir::Error rejected(std::string message) { return {401, fhir::IssueType::security, std::move(message), ""}; }

// A JSON object with no member name given twice: a verifier and an attacker
// must not read different values from the same token (RFC 7515 §5.2).
fhir::Result<simdjson::dom::object> decode_object(simdjson::dom::parser& parser, std::string_view part,
                                                  const char* what) {
  auto bytes = base64url_decode(part);
  if (!bytes) return rejected(std::string("the token's ") + what + " is not base64url");
  // Empty is no object; and simdjson must not be handed a null buffer (found by fuzzing).
  if (bytes->empty()) return rejected(std::string("the token's ") + what + " is empty");
  simdjson::dom::object object;
  if (parser.parse(reinterpret_cast<const char*>(bytes->data()), bytes->size()).get(object) != simdjson::SUCCESS)
    return rejected(std::string("the token's ") + what + " is not a JSON object");
  std::set<std::string_view> names;
  for (auto field : object)
    if (!names.insert(field.key).second)
      return rejected(std::string("the token's ") + what + " names \"" + std::string(field.key) + "\" twice");
  return object;
}

// Optional string member; an error when present with another type.
std::optional<fhir::Error> read_string(simdjson::dom::object object, std::string_view name, std::string& out) {
  simdjson::dom::element element;
  if (object[name].get(element) != simdjson::SUCCESS) return std::nullopt;
  std::string_view text;
  if (element.get(text) != simdjson::SUCCESS)
    return rejected("the token's \"" + std::string(name) + "\" is not a string");
  out = text;
  return std::nullopt;
}

// NumericDate (RFC 7519 §2): seconds, possibly with a fraction.
std::optional<fhir::Error> read_time(simdjson::dom::object object, std::string_view name,
                                     std::optional<int64_t>& out) {
  simdjson::dom::element element;
  if (object[name].get(element) != simdjson::SUCCESS) return std::nullopt;
  int64_t whole = 0;
  double real = 0;
  if (element.get(whole) == simdjson::SUCCESS) {
    out = whole;
  } else if (element.get(real) == simdjson::SUCCESS && std::isfinite(real) && std::fabs(real) < 1e15) {
    out = static_cast<int64_t>(std::floor(real));
  } else {
    return rejected("the token's \"" + std::string(name) + "\" is not a NumericDate");
  }
  return std::nullopt;
}

std::optional<fhir::Error> read_audience(simdjson::dom::object claims, std::vector<std::string>& out) {
  simdjson::dom::element element;
  if (claims["aud"].get(element) != simdjson::SUCCESS) return std::nullopt;
  std::string_view one;
  if (element.get(one) == simdjson::SUCCESS) {
    out.emplace_back(one);
    return std::nullopt;
  }
  simdjson::dom::array many;
  if (element.get(many) != simdjson::SUCCESS) return rejected("the token's \"aud\" is neither a string nor an array");
  for (simdjson::dom::element item : many) {
    if (item.get(one) != simdjson::SUCCESS) return rejected("the token's \"aud\" array holds a non-string");
    out.emplace_back(one);
  }
  return std::nullopt;
}

const EVP_MD* digest_for(JwsAlgorithm algorithm) {
  return algorithm == JwsAlgorithm::RS256 ? EVP_sha256() : EVP_sha384();
}

}  // namespace

std::optional<std::string_view> Jwt::string_claim(std::string_view name) const {
  auto it = string_claims.find(name);
  if (it == string_claims.end()) return std::nullopt;
  return std::string_view(it->second);
}

fhir::Result<Jwt> parse_jwt(std::string_view compact, size_t max_bytes) {
  if (compact.empty()) return rejected("the bearer token is empty");
  if (compact.size() > max_bytes)
    return rejected("the bearer token is longer than " + std::to_string(max_bytes) + " bytes");
  const auto first = compact.find('.');
  const auto second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos)
    return rejected("the bearer token is not a JWT in compact form (three dot-separated parts)");

  Jwt jwt;
  simdjson::dom::parser parser;
  auto header = decode_object(parser, compact.substr(0, first), "header");
  if (!header) return header.error();
  for (auto [name, out] : {std::pair{"alg", &jwt.alg}, {"kid", &jwt.kid}, {"typ", &jwt.typ}, {"jku", &jwt.jku}})
    if (auto error = read_string(*header, name, *out)) return *error;
  if (jwt.alg.empty()) return rejected("the token's header has no \"alg\"");
  jwt.algorithm = parse_jws_algorithm(jwt.alg);

  // The header's strings are copied out above, so the parser can be reused.
  auto claims = decode_object(parser, compact.substr(first + 1, second - first - 1), "payload");
  if (!claims) return claims.error();
  for (auto [name, out] : {std::pair{"iss", &jwt.iss}, {"sub", &jwt.sub}, {"jti", &jwt.jti}})
    if (auto error = read_string(*claims, name, *out)) return *error;
  if (auto error = read_audience(*claims, jwt.aud)) return *error;
  for (auto [name, out] : {std::pair{"exp", &jwt.exp}, {"iat", &jwt.iat}, {"nbf", &jwt.nbf}})
    if (auto error = read_time(*claims, name, *out)) return *error;
  for (auto field : *claims) {
    std::string_view text;
    if (field.key == "iss" || field.key == "sub" || field.key == "jti" || field.key == "aud") continue;
    if (field.value.get(text) == simdjson::SUCCESS) jwt.string_claims.emplace(std::string(field.key), text);
  }

  auto signature = base64url_decode(compact.substr(second + 1));
  if (!signature) return rejected("the token's signature is not base64url");
  jwt.signature = std::move(*signature);
  jwt.signing_input = compact.substr(0, second);
  return jwt;
}

std::optional<fhir::Error> verify_jwt_signature(const Jwt& jwt, const Jwk& key, std::span<const JwsAlgorithm> allowed) {
  if (!jwt.algorithm || std::find(allowed.begin(), allowed.end(), *jwt.algorithm) == allowed.end())
    return rejected("the token's algorithm \"" + jwt.alg + "\" is not accepted");
  const JwsAlgorithm algorithm = *jwt.algorithm;
  if (!key.fits(algorithm))
    return rejected("the key \"" + key.kid() + "\" is not a key for " + jws_algorithm_name(algorithm));

  std::vector<uint8_t> der;
  std::span<const uint8_t> signature = jwt.signature;
  if (algorithm == JwsAlgorithm::ES384) {
    auto converted = ecdsa_raw_to_der(jwt.signature, kP384Width);
    if (!converted) return rejected("an ES384 signature must be 96 bytes (r||s)");
    der = std::move(*converted);
    signature = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key.pkey()))) {
    return rejected("the RSA signature's length does not match the key");
  }

  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  const bool good =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(algorithm), nullptr, key.pkey()) == 1 &&
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(jwt.signing_input.data()), jwt.signing_input.size()) == 1;
  ossl::clear_errors();
  if (!good) return rejected("the token's signature does not verify");
  return std::nullopt;
}

fhir::Result<std::string> sign_jwt(const SigningKey& key, JwsAlgorithm algorithm, std::string_view claims_json,
                                   std::string_view jku) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "alg");
  fhir::write_string(w, jws_algorithm_name(algorithm));
  fhir::write_key(w, "kid");
  fhir::write_string(w, key.kid());
  fhir::write_key(w, "typ");
  fhir::write_string(w, "JWT");
  if (!jku.empty()) {
    fhir::write_key(w, "jku");
    fhir::write_string(w, jku);
  }
  w.EndObject();
  std::string token = base64url_encode(std::string_view(buffer.GetString(), buffer.GetSize()));
  token += '.';
  token += base64url_encode(claims_json);
  auto signature = key.sign(algorithm, token);
  if (!signature) return signature.error();
  token += '.';
  token += base64url_encode(std::span<const uint8_t>(*signature));
  return token;
}

}  // namespace crdex::smart
