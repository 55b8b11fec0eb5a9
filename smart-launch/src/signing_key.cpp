#include "crdex/smart/signing_key.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "crdex/fhir/json_writer.hpp"
#include "crdex/smart/base64url.hpp"
#include "ecdsa_signature.hpp"
#include "ossl.hpp"

namespace crdex::smart {

namespace {

fhir::Error key_error(std::string message) { return {500, fhir::IssueType::exception, std::move(message), ""}; }

const EVP_MD* digest_for(JwsAlgorithm algorithm) {
  return algorithm == JwsAlgorithm::RS256 ? EVP_sha256() : EVP_sha384();
}

bool is_p384(EVP_PKEY* key) {
  char group[64] = {};
  size_t length = 0;
  return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) == 1 &&
         (std::string_view(group) == "secp384r1" || std::string_view(group) == "P-384");
}

std::string encoded_bn(EVP_PKEY* key, const char* name, size_t width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return {};
  ossl::Ptr<BIGNUM> n(raw);
  const auto bytes = width ? ossl::fixed_width(n.get(), width) : ossl::minimal(n.get());
  return base64url_encode(std::span<const uint8_t>(bytes));
}

}  // namespace

fhir::Result<SigningKey> SigningKey::from_pem(std::string_view pem, std::string kid) {
  ossl::clear_errors();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!raw) {
    ossl::clear_errors();
    return key_error("not a PEM private key (an RSA or EC P-384 key, unencrypted)");
  }
  auto key = ossl::share(raw);
  if (EVP_PKEY_is_a(raw, "RSA")) {
    if (EVP_PKEY_get_bits(raw) < 2048) return key_error("RSA signing keys need at least 2048 bits");
    return SigningKey(std::move(key), std::move(kid), true);
  }
  if (EVP_PKEY_is_a(raw, "EC") && is_p384(raw)) return SigningKey(std::move(key), std::move(kid), false);
  return key_error("only RSA and EC P-384 private keys can sign JWTs");
}

fhir::Result<SigningKey> SigningKey::generate(JwsAlgorithm algorithm, std::string kid) {
  const bool rsa = algorithm != JwsAlgorithm::ES384;
  EVP_PKEY* raw = rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  if (!raw) {
    ossl::clear_errors();
    return key_error("key generation failed");
  }
  return SigningKey(ossl::share(raw), std::move(kid), rsa);
}

bool SigningKey::fits(JwsAlgorithm algorithm) const { return rsa_ == (algorithm != JwsAlgorithm::ES384); }

fhir::Result<std::vector<uint8_t>> SigningKey::sign(JwsAlgorithm algorithm, std::string_view signing_input) const {
  if (!fits(algorithm))
    return key_error(std::string("key ") + kid_ + " cannot sign " + jws_algorithm_name(algorithm));
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_for(algorithm), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    ossl::clear_errors();
    return key_error("signing failed");
  }
  std::vector<uint8_t> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    ossl::clear_errors();
    return key_error("signing failed");
  }
  signature.resize(length);
  if (rsa_) return signature;
  auto raw = ecdsa_der_to_raw(signature, kP384Width);
  if (!raw) return key_error("signing produced an unreadable ECDSA signature");
  return std::move(*raw);
}

std::string SigningKey::public_jwk_json(JwsAlgorithm algorithm) const {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "kty");
  fhir::write_string(w, rsa_ ? "RSA" : "EC");
  fhir::write_key(w, "kid");
  fhir::write_string(w, kid_);
  fhir::write_key(w, "use");
  fhir::write_string(w, "sig");
  fhir::write_key(w, "alg");
  fhir::write_string(w, jws_algorithm_name(algorithm));
  if (rsa_) {
    fhir::write_key(w, "n");
    fhir::write_string(w, encoded_bn(key_.get(), OSSL_PKEY_PARAM_RSA_N, 0));
    fhir::write_key(w, "e");
    fhir::write_string(w, encoded_bn(key_.get(), OSSL_PKEY_PARAM_RSA_E, 0));
  } else {
    fhir::write_key(w, "crv");
    fhir::write_string(w, "P-384");
    fhir::write_key(w, "x");
    fhir::write_string(w, encoded_bn(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, kP384Width));
    fhir::write_key(w, "y");
    fhir::write_string(w, encoded_bn(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, kP384Width));
  }
  w.EndObject();
  return buffer.GetString();
}

std::string SigningKey::private_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ossl::clear_errors();
    return {};
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

std::string public_jwks_json(std::span<const PublishedKey> keys) {
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ',';
    out += keys[i].key->public_jwk_json(keys[i].algorithm);
  }
  return out + "]}";
}

}  // namespace crdex::smart
