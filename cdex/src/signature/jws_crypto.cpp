// The JWS algorithms on OpenSSL 3 EVP, and the X.509 plumbing around them.
// ES256 / ES384 signatures are raw r||s on the wire (RFC 7518 §3.4), DER
// inside OpenSSL: converted both ways here.

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "signature_detail.hpp"

namespace crdex::cdex {

const char* jws_algorithm_name(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::RS256: return "RS256";
    case JwsAlgorithm::RS384: return "RS384";
    case JwsAlgorithm::ES256: return "ES256";
    case JwsAlgorithm::ES384: return "ES384";
  }
  return "?";
}

std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name) {
  if (name == "RS256") return JwsAlgorithm::RS256;
  if (name == "RS384") return JwsAlgorithm::RS384;
  if (name == "ES256") return JwsAlgorithm::ES256;
  if (name == "ES384") return JwsAlgorithm::ES384;
  return std::nullopt;
}

}  // namespace crdex::cdex

namespace crdex::cdex::detail {

namespace {

bool jws_is_ecdsa(JwsAlgorithm algorithm) {
  return algorithm == JwsAlgorithm::ES256 || algorithm == JwsAlgorithm::ES384;
}

const EVP_MD* jws_digest(JwsAlgorithm algorithm) {
  return (algorithm == JwsAlgorithm::RS256 || algorithm == JwsAlgorithm::ES256) ? EVP_sha256() : EVP_sha384();
}

// Bytes per coordinate of the curve: 32 for P-256, 48 for P-384.
size_t jws_coordinate_width(JwsAlgorithm algorithm) { return algorithm == JwsAlgorithm::ES256 ? 32 : 48; }

struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

std::optional<std::vector<uint8_t>> jws_der_to_raw(std::span<const uint8_t> der, size_t width) {
  const unsigned char* in = der.data();
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::vector<uint8_t> raw(2 * width);
  if (BN_bn2binpad(r, raw.data(), static_cast<int>(width)) < 0 ||
      BN_bn2binpad(s, raw.data() + width, static_cast<int>(width)) < 0) {
    return std::nullopt;
  }
  return raw;
}

std::optional<std::vector<uint8_t>> jws_raw_to_der(std::span<const uint8_t> raw, size_t width) {
  if (raw.size() != 2 * width) return std::nullopt;
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(width), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + width, static_cast<int>(width), nullptr);
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return std::nullopt;
  std::vector<uint8_t> der(static_cast<size_t>(length));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return std::nullopt;
  return der;
}

}  // namespace

std::string ossl_error_text() {
  const unsigned long code = ERR_peek_last_error();
  std::string text;
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text = buffer;
  }
  ERR_clear_error();
  return text;
}

std::string key_mismatch(EVP_PKEY* key, JwsAlgorithm algorithm) {
  if (jws_is_ecdsa(algorithm)) {
    if (!EVP_PKEY_is_a(key, "EC")) return std::string(jws_algorithm_name(algorithm)) + " needs an EC key";
    char curve[64] = {};
    size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &length) != 1) {
      ERR_clear_error();
      return "the EC key's curve is unknown";
    }
    const std::string_view want = algorithm == JwsAlgorithm::ES256 ? "prime256v1" : "secp384r1";
    if (std::string_view(curve, length) != want) {
      return std::string(jws_algorithm_name(algorithm)) + " needs a key on " +
             (algorithm == JwsAlgorithm::ES256 ? "P-256" : "P-384") + ", not " + std::string(curve, length);
    }
    return {};
  }
  if (!EVP_PKEY_is_a(key, "RSA")) return std::string(jws_algorithm_name(algorithm)) + " needs an RSA key";
  if (EVP_PKEY_get_bits(key) < 2048) return "an RSA key shorter than 2048 bits is not accepted";
  return {};
}

std::optional<std::vector<uint8_t>> jws_sign(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view input) {
  OsslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, jws_digest(algorithm), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::vector<uint8_t> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  signature.resize(length);
  if (!jws_is_ecdsa(algorithm)) return signature;
  return jws_der_to_raw(signature, jws_coordinate_width(algorithm));
}

bool jws_verify(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view input, std::span<const uint8_t> signature) {
  std::vector<uint8_t> der;
  if (jws_is_ecdsa(algorithm)) {
    auto converted = jws_raw_to_der(signature, jws_coordinate_width(algorithm));
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  OsslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, jws_digest(algorithm), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  ERR_clear_error();
  return ok;
}

OsslPtr<X509> certificate_from_der(std::span<const uint8_t> der) {
  const unsigned char* in = der.data();
  OsslPtr<X509> certificate(d2i_X509(nullptr, &in, static_cast<long>(der.size())));
  if (!certificate || in != der.data() + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return certificate;
}

std::vector<uint8_t> certificate_der(X509* certificate) {
  const int length = i2d_X509(certificate, nullptr);
  if (length <= 0) return {};
  std::vector<uint8_t> der(static_cast<size_t>(length));
  unsigned char* out = der.data();
  i2d_X509(certificate, &out);
  return der;
}

std::vector<OsslPtr<X509>> certificates_from_pem(std::string_view pem) {
  std::vector<OsslPtr<X509>> out;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return out;
  while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(certificate);
  }
  ERR_clear_error();  // the end of the text reads as "no start line"
  return out;
}

std::string subject_line(X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

}  // namespace crdex::cdex::detail
