#include "crdex/smart/random_token.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "crdex/smart/base64url.hpp"

namespace crdex::smart {

std::string random_token(size_t bytes) {
  std::vector<uint8_t> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    throw std::runtime_error("the OpenSSL random generator failed");
  return base64url_encode(raw);
}

}  // namespace crdex::smart
