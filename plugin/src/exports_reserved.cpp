// Reserved functions: declared in crdex.h so hosts can code against them,
// answering CRDEX_E_UNSUPPORTED (HTTP 501) until their feature lands
// (SMART launch). crdex_feature_available() says which are real.

#include <string>

#include "abi_guard.hpp"
#include "crdex/crdex.h"
#include "result.hpp"

using namespace crdex::plugin;

namespace {

crdex_status not_yet(const char* function, const char* feature, crdex_result** out_result) {
  if (out_result) *out_result = nullptr;
  return refuse(CRDEX_E_UNSUPPORTED, 501,
                std::string(function) + " is not available in this libcrdex " + CRDEX_RELEASE_VERSION + " (" +
                    feature + " not built yet; crdex_feature_available() reports it)",
                out_result);
}

}  // namespace

extern "C" {

CRDEX_API crdex_status crdex_engine_smart_launch_create(const crdex_engine*, const char*, size_t,
                                                        crdex_result** out_result) noexcept {
  return guard([&] { return not_yet("crdex_engine_smart_launch_create", "SMART launch", out_result); });
}

CRDEX_API crdex_status crdex_engine_smart_launch_resolve(const crdex_engine*, const char*, size_t,
                                                         crdex_result** out_result) noexcept {
  return guard([&] { return not_yet("crdex_engine_smart_launch_resolve", "SMART launch", out_result); });
}

}  // extern "C"
