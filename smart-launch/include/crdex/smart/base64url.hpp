#pragma once
// Base64url without padding (RFC 7515 §2, RFC 7636 §3): the encoding of JWT
// parts, JWK key material and PKCE verifiers and challenges.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::smart {

std::string base64url_encode(std::span<const uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);

// nullopt for any character outside the base64url alphabet, for padding, and
// for a length no encoding produces (a remainder of one character).
std::optional<std::vector<uint8_t>> base64url_decode(std::string_view text);

}  // namespace crdex::smart
