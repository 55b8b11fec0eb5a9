#include "request_id.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>

namespace crdex::server {

bool usable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '-';
  });
}

std::string new_request_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // The random source failed: a counter still keeps ids apart in the log.
    static std::atomic<uint64_t> fallback{0};
    const uint64_t n = ++fallback;
    for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(n >> (8 * i));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (const unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

std::string request_id_of(const Pistache::Http::Request& request) {
  if (const auto raw = request.headers().tryGetRaw(std::string(kRequestIdHeader)))
    if (usable_request_id(raw->value())) return raw->value();
  return new_request_id();
}

}  // namespace crdex::server
