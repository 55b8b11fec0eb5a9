#pragma once
// The exception barrier every exported function stands behind, and the
// thread-local "last error" message that explains a failed call.
//
// Nothing may unwind into a C host: an escaping exception terminates it. So
// each exported body is `return guard([&]{ ... });` and guard turns whatever
// escapes into a status plus a message.

#include <new>
#include <string_view>

#include "crdex/crdex.h"

namespace crdex::plugin {

// The calling thread's explanation of its last failed call ("" after success),
// NUL-terminated. A fixed thread-local buffer, not a std::string: a
// thread_local with a destructor pins the library in memory (dlclose could
// not unload it while any thread that called it lives).
const char* last_error();
void clear_last_error() noexcept;

// Records why a call failed and returns `status`, so a body can
// `return fail(CRDEX_E_..., "...")`.
crdex_status fail(crdex_status status, std::string_view message) noexcept;

// A (pointer, length) pair from the host as a view; a null pointer is empty.
inline std::string_view view(const char* data, size_t length) {
  return data ? std::string_view(data, length) : std::string_view();
}

// Runs `body`, which returns a crdex_status, with the barrier around it.
template <class Body>
crdex_status guard(Body&& body) noexcept {
  try {
    clear_last_error();
    return body();
  } catch (const std::bad_alloc&) {
    return fail(CRDEX_E_NO_MEMORY, "out of memory");
  } catch (...) {
    // What escaped may describe internals; the host gets a generic message.
    return fail(CRDEX_E_INTERNAL, "internal error in libcrdex");
  }
}

// For accessors that return a value instead of a status: `fallback` when
// anything escapes.
template <class T, class Body>
T guard_value(T fallback, Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return fallback;
  }
}

}  // namespace crdex::plugin
