#pragma once
// Unguessable tokens for launch ids, PKCE verifiers, `state` and JWT `jti`:
// `bytes` bytes from the OpenSSL CSPRNG, base64url encoded. 32 bytes give
// 256 bits, far beyond guessing range, and 43 characters (a valid PKCE
// verifier length, RFC 7636 §4.1).

#include <cstddef>
#include <string>

namespace crdex::smart {

// Throws std::runtime_error only when the CSPRNG fails (it never returns a
// predictable value instead).
std::string random_token(size_t bytes = 32);

}  // namespace crdex::smart
