#include "abi_guard.hpp"

#include <algorithm>
#include <cstring>

namespace crdex::plugin {

namespace {

// Long enough for a rule file's path, JSON path and problem; longer messages
// are cut (the result's own message, where there is a result, is complete).
constexpr size_t kMessageCapacity = 2048;
thread_local char message_buffer[kMessageCapacity];

}  // namespace

const char* last_error() { return message_buffer; }

void clear_last_error() noexcept { message_buffer[0] = '\0'; }

crdex_status fail(crdex_status status, std::string_view message) noexcept {
  const size_t length = std::min(message.size(), kMessageCapacity - 1);
  std::memcpy(message_buffer, message.data(), length);
  message_buffer[length] = '\0';
  return status;
}

}  // namespace crdex::plugin
