#include "abi_guard.hpp"

namespace crdex::plugin {

std::string& last_error() {
  thread_local std::string message;
  return message;
}

crdex_status fail(crdex_status status, std::string_view message) noexcept {
  try {
    last_error().assign(message);
  } catch (...) {
    // Out of memory while recording the message: the status still says what happened.
  }
  return status;
}

}  // namespace crdex::plugin
