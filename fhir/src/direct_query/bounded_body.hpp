#pragma once
// libcurl's write callback for a response body kept in memory up to a limit:
// an answer larger than the caller allows is abandoned rather than buffered.
// `Target` holds `std::string body`, `size_t max_bytes` and `bool too_large`.

#include <cstddef>

namespace crdex::fhir::detail {

template <class Target>
size_t append_bounded(char* data, size_t size, size_t count, void* user) {
  auto* target = static_cast<Target*>(user);
  const size_t bytes = size * count;
  if (target->body.size() + bytes > target->max_bytes) {
    target->too_large = true;
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  target->body.append(data, bytes);
  return bytes;
}

}  // namespace crdex::fhir::detail
