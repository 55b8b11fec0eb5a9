#include "crdex/fhir/identifiers.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace crdex::fhir {

namespace {

// Random bytes drawn from OpenSSL's CSPRNG 4 KiB at a time, per thread: one
// RAND_bytes call per 256 UUIDs instead of one per UUID.
class RandomPool {
 public:
  void take(unsigned char* out, size_t count) {
    if (used_ + count > pool_.size()) {
      if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1)
        throw std::runtime_error("the system random number generator failed");
      used_ = 0;
    }
    std::copy_n(pool_.begin() + static_cast<std::ptrdiff_t>(used_), count, out);
    // Bytes handed out are not kept around.
    std::fill_n(pool_.begin() + static_cast<std::ptrdiff_t>(used_), count, 0);
    used_ += count;
  }

 private:
  std::array<unsigned char, 4096> pool_{};
  size_t used_ = 4096;
};

}  // namespace

std::string random_uuid() {
  thread_local RandomPool pool;
  std::array<unsigned char, 16> bytes{};
  pool.take(bytes.data(), bytes.size());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char hex[] = "0123456789abcdef";
  char text[36];
  char* out = text;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *out++ = '-';
    *out++ = hex[bytes[i] >> 4];
    *out++ = hex[bytes[i] & 0x0f];
  }
  return {text, sizeof text};
}

std::string today_utc_date() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  const size_t length = std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return {text, length};
}

bool is_fhir_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  return true;
}

}  // namespace crdex::fhir
