#pragma once
// Inside cdex/ only: OpenSSL handles, base64 and the JWS cryptography that the
// Bundle signer and verifier share.

#include <crdex/cdex/signature.hpp>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::cdex::detail {

struct OsslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
template <class T>
using OsslPtr = std::unique_ptr<T, OsslFree>;

// RFC 4648 base64 (`url` = false, padded) or base64url (`url` = true, unpadded).
std::string base64_encode(std::span<const uint8_t> bytes, bool url);
inline std::string base64_encode(std::string_view text, bool url) {
  return base64_encode(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), url);
}
// Decodes either alphabet's text; padding optional; white space skipped when
// `url` is false (FHIR base64Binary may be wrapped). nullopt when malformed.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text, bool url);

// The OpenSSL error queue's last reason as text (and the queue emptied).
std::string ossl_error_text();

// Empty when `key` can sign / verify with `algorithm`, else why not.
std::string key_mismatch(EVP_PKEY* key, JwsAlgorithm algorithm);

// The JWS signature value (RS*: PKCS#1 v1.5; ES*: raw r||s) over `input`.
std::optional<std::vector<uint8_t>> jws_sign(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view input);
bool jws_verify(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view input, std::span<const uint8_t> signature);

// A certificate in DER; nullptr when it is not one.
OsslPtr<X509> certificate_from_der(std::span<const uint8_t> der);
std::vector<uint8_t> certificate_der(X509* certificate);
// Every CERTIFICATE block of a PEM text, in order.
std::vector<OsslPtr<X509>> certificates_from_pem(std::string_view pem);
// The subject as one RFC 2253 line.
std::string subject_line(X509* certificate);

// What a verifier trusts.
X509_STORE* anchor_store(const TrustAnchors::State& state);

}  // namespace crdex::cdex::detail

namespace crdex::cdex {
struct TrustAnchors::State {
  detail::OsslPtr<X509_STORE> store;
  size_t count = 0;
};
}  // namespace crdex::cdex
