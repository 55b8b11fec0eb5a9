// Exported accessors of crdex_result and crdex_result_free.

#include "abi_guard.hpp"
#include "crdex/crdex.h"
#include "result.hpp"

using namespace crdex::plugin;

namespace {

const char* text_or_null(const std::string& text, bool present, size_t* out_len) noexcept {
  if (out_len) *out_len = present ? text.size() : 0;
  return present ? text.c_str() : nullptr;
}

}  // namespace

extern "C" {

CRDEX_API crdex_status crdex_result_status(const crdex_result* result) noexcept {
  return result ? result->status : CRDEX_E_INVALID_ARGUMENT;
}

CRDEX_API int crdex_result_http_status(const crdex_result* result) noexcept { return result ? result->http_status : 0; }

CRDEX_API const char* crdex_result_json(const crdex_result* result, size_t* out_len) noexcept {
  if (!result) return text_or_null({}, false, out_len);
  return text_or_null(result->json, result->status == CRDEX_OK, out_len);
}

CRDEX_API const char* crdex_result_operation_outcome(const crdex_result* result, size_t* out_len) noexcept {
  if (!result) return text_or_null({}, false, out_len);
  return text_or_null(result->operation_outcome, result->status != CRDEX_OK, out_len);
}

CRDEX_API const char* crdex_result_message(const crdex_result* result) noexcept {
  return result ? result->message.c_str() : "";
}

CRDEX_API void crdex_result_free(crdex_result* result) noexcept { delete result; }

}  // extern "C"
