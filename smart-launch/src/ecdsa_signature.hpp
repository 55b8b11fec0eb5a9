#pragma once
// JWS ECDSA signatures are the raw concatenation r||s, each as wide as the
// curve (48 bytes for P-384, RFC 7518 §3.4); OpenSSL speaks DER
// (ECDSA-Sig-Value). These convert between the two.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace crdex::smart {

// Bytes of a P-384 coordinate, scalar, or half of an ES384 signature.
inline constexpr size_t kP384Width = 48;

// nullopt unless `raw` is exactly 2 * `width` bytes.
std::optional<std::vector<uint8_t>> ecdsa_raw_to_der(std::span<const uint8_t> raw, size_t width);
// nullopt for DER that does not parse or whose r or s is wider than `width`.
std::optional<std::vector<uint8_t>> ecdsa_der_to_raw(std::span<const uint8_t> der, size_t width);

}  // namespace crdex::smart
