// Exported functions about the library itself: negotiation, counted init,
// versions, features, the last error and status names.

#include "abi_guard.hpp"
#include "crdex/crdex.h"
#include "library_state.hpp"

using namespace crdex::plugin;

extern "C" {

CRDEX_API crdex_status crdex_init(uint32_t host_abi_version) noexcept {
  return guard([&] { return library_init(host_abi_version); });
}

CRDEX_API crdex_status crdex_shutdown(void) noexcept {
  return guard([&] { return library_shutdown(); });
}

CRDEX_API uint32_t crdex_abi_version(void) noexcept { return CRDEX_ABI_VERSION; }

CRDEX_API const char* crdex_version_string(void) noexcept { return CRDEX_RELEASE_VERSION; }

CRDEX_API int crdex_feature_available(crdex_feature feature) noexcept {
  // SMART launch arrives with its issue; it flips here
  // when its functions stop answering CRDEX_E_UNSUPPORTED.
  switch (feature) {
    case CRDEX_FEATURE_HOOKS:
    case CRDEX_FEATURE_DIRECT_QUERY:
    case CRDEX_FEATURE_CDEX: return 1;
    default: return 0;
  }
}

CRDEX_API const char* crdex_last_error_message(void) noexcept {
  return last_error();
}

CRDEX_API const char* crdex_status_name(crdex_status status) noexcept {
  switch (status) {
    case CRDEX_OK: return "CRDEX_OK";
    case CRDEX_E_INVALID_ARGUMENT: return "CRDEX_E_INVALID_ARGUMENT";
    case CRDEX_E_VERSION: return "CRDEX_E_VERSION";
    case CRDEX_E_NOT_INITIALIZED: return "CRDEX_E_NOT_INITIALIZED";
    case CRDEX_E_BAD_STRUCT: return "CRDEX_E_BAD_STRUCT";
    case CRDEX_E_BAD_JSON: return "CRDEX_E_BAD_JSON";
    case CRDEX_E_CONFIG: return "CRDEX_E_CONFIG";
    case CRDEX_E_BAD_REQUEST: return "CRDEX_E_BAD_REQUEST";
    case CRDEX_E_NOT_FOUND: return "CRDEX_E_NOT_FOUND";
    case CRDEX_E_UNSUPPORTED: return "CRDEX_E_UNSUPPORTED";
    case CRDEX_E_BUSY: return "CRDEX_E_BUSY";
    case CRDEX_E_NO_MEMORY: return "CRDEX_E_NO_MEMORY";
    case CRDEX_E_INTERNAL: return "CRDEX_E_INTERNAL";
    case CRDEX_STATUS_MAX_: break;
  }
  return "CRDEX_E_UNKNOWN";
}

}  // extern "C"
