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

std::optional<std::string> uuid_bytes(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(16, '\0');
  size_t at = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      if (text[at] != '-') return std::nullopt;
      ++at;
    }
    const int high = nibble(text[at]), low = nibble(text[at + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out[i] = static_cast<char>((high << 4) | low);
    at += 2;
  }
  return out;
}

std::string uuid_text(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out += hex[byte >> 4];
    out += hex[byte & 0x0f];
  }
  return out;
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
