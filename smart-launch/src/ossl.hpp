#pragma once
// Owning handles for the OpenSSL objects the JOSE code uses, and the big-endian
// fixed-width conversions JWK and ES384 signatures need.

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <span>
#include <vector>

namespace crdex::smart::ossl {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

inline std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) { return {key, [](EVP_PKEY* p) { EVP_PKEY_free(p); }}; }

inline Ptr<BIGNUM> bignum(std::span<const uint8_t> big_endian) {
  return Ptr<BIGNUM>(BN_bin2bn(big_endian.data(), static_cast<int>(big_endian.size()), nullptr));
}

// `n` as exactly `width` big-endian bytes (left-padded); empty if it does not fit.
inline std::vector<uint8_t> fixed_width(const BIGNUM* n, size_t width) {
  std::vector<uint8_t> out(width);
  if (BN_bn2binpad(n, out.data(), static_cast<int>(width)) < 0) return {};
  return out;
}

// `n` in its minimal big-endian form (JWK `n` and `e`).
inline std::vector<uint8_t> minimal(const BIGNUM* n) {
  std::vector<uint8_t> out(static_cast<size_t>(BN_num_bytes(n)));
  BN_bn2bin(n, out.data());
  return out;
}

// OpenSSL keeps a per-thread error queue; a failure we report as a value must
// not leave entries behind for the next, unrelated call to trip over.
inline void clear_errors() { ERR_clear_error(); }

}  // namespace crdex::smart::ossl
