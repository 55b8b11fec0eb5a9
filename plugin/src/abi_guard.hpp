#pragma once
// The exception barrier every exported function stands behind, and the
// thread-local "last error" message that explains a failed call.
//
// Nothing may unwind into a C host: an escaping exception terminates it. So
// each exported body is `return guard([&]{ ... });` and guard turns whatever
// escapes into a status plus a message.

#include <new>
#include <string>
#include <string_view>

#include "crdex/crdex.h"

namespace crdex::plugin {

// The calling thread's explanation of its last failed call ("" after success).
std::string& last_error();

// Records why a call failed and returns `status`, so a body can
// `return fail(CRDEX_E_..., "...")`.
crdex_status fail(crdex_status status, std::string_view message) noexcept;

// Runs `body`, which returns a crdex_status, with the barrier around it.
template <class Body>
crdex_status guard(Body&& body) noexcept {
  try {
    last_error().clear();
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
