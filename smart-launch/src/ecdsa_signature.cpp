#include "ecdsa_signature.hpp"

#include <openssl/ecdsa.h>

#include "ossl.hpp"

namespace crdex::smart {

namespace {
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using SigPtr = std::unique_ptr<ECDSA_SIG, SigFree>;
}  // namespace

std::optional<std::vector<uint8_t>> ecdsa_raw_to_der(std::span<const uint8_t> raw, size_t width) {
  if (raw.size() != 2 * width) return std::nullopt;
  auto r = ossl::bignum(raw.first(width));
  auto s = ossl::bignum(raw.subspan(width));
  SigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return std::nullopt;
  std::vector<uint8_t> der(static_cast<size_t>(length));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return std::nullopt;
  return der;
}

std::optional<std::vector<uint8_t>> ecdsa_der_to_raw(std::span<const uint8_t> der, size_t width) {
  const unsigned char* in = der.data();
  SigPtr sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig) {
    ossl::clear_errors();
    return std::nullopt;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  auto raw = ossl::fixed_width(r, width);
  auto raw_s = ossl::fixed_width(s, width);
  if (raw.empty() || raw_s.empty()) return std::nullopt;
  raw.insert(raw.end(), raw_s.begin(), raw_s.end());
  return raw;
}

}  // namespace crdex::smart
