#pragma once
// The library's global state: the counted initialisation (CLAP's
// entry_init_guard idea) and the number of live engines, so the last
// shutdown can refuse while engines still exist.
//
// Nothing happens in static constructors: a failure there could not be
// reported. Work that must happen once per process (the HTTP client's global
// set-up, when Direct Query lands) belongs in the first successful init.

#include <cstdint>

#include "crdex/crdex.h"

namespace crdex::plugin {

// Negotiates `host_abi_version` and counts one init; CRDEX_E_VERSION otherwise.
crdex_status library_init(uint32_t host_abi_version);
crdex_status library_shutdown();
bool library_initialized();

// Engine creation and destruction keep the count the last shutdown checks.
// engine_created fails (CRDEX_E_NOT_INITIALIZED) when no init is in force,
// checked under the same lock as shutdown so the two cannot interleave.
crdex_status engine_created();
void engine_destroyed();

}  // namespace crdex::plugin
