#include "library_state.hpp"

#include <mutex>
#include <string>

#include "abi_guard.hpp"

namespace crdex::plugin {

namespace {

// Plain integers under one mutex: init/shutdown/create/destroy are rare, and
// the checks "last init while engines are alive" need both counts at once.
std::mutex state_mutex;
unsigned init_count = 0;
unsigned live_engines = 0;

std::string version_text(uint32_t version) {
  return std::to_string(version >> 16) + "." + std::to_string(version & 0xffffu);
}

}  // namespace

crdex_status library_init(uint32_t host_abi_version) {
  const uint32_t host_major = host_abi_version >> 16;
  const uint32_t host_minor = host_abi_version & 0xffffu;
  if (host_major != CRDEX_ABI_VERSION_MAJOR || host_minor > CRDEX_ABI_VERSION_MINOR)
    return fail(CRDEX_E_VERSION, "the host was built for crdex ABI " + version_text(host_abi_version) +
                                     "; this libcrdex implements ABI " + version_text(CRDEX_ABI_VERSION) +
                                     " (same major and a minor no newer than the library's are accepted)");
  std::lock_guard lock(state_mutex);
  ++init_count;
  return CRDEX_OK;
}

crdex_status library_shutdown() {
  std::lock_guard lock(state_mutex);
  if (init_count == 0) return fail(CRDEX_E_NOT_INITIALIZED, "crdex_shutdown without a matching crdex_init");
  if (init_count == 1 && live_engines > 0)
    return fail(CRDEX_E_BUSY, std::to_string(live_engines) +
                                  " engine(s) still alive: destroy them before the last crdex_shutdown");
  --init_count;
  return CRDEX_OK;
}

bool library_initialized() {
  std::lock_guard lock(state_mutex);
  return init_count > 0;
}

crdex_status engine_created() {
  std::lock_guard lock(state_mutex);
  if (init_count == 0) return fail(CRDEX_E_NOT_INITIALIZED, "call crdex_init before creating an engine");
  ++live_engines;
  return CRDEX_OK;
}

void engine_destroyed() {
  std::lock_guard lock(state_mutex);
  --live_engines;
}

}  // namespace crdex::plugin
