#pragma once
// The answer of Engine::fill_prefetch: the hook request as the EHR sent it,
// with the prefetch keys crdex fetched written into `prefetch`, plus what was
// asked and what failed, so a host can show or log the fill.

#include <simdjson.h>

#include <string>

#include "crdex/hooks/prefetch_fill.hpp"

namespace crdex::hooks::detail {

// {"request": …, "queries": [{"key", "query", "round"}], "problems": {key: why}}.
// Members of the request are copied through unchanged; a fetched key replaces
// what the EHR sent for it (nothing, or an OperationOutcome).
std::string filled_request_json(simdjson::dom::element request, const FilledPrefetch& filled);

}  // namespace crdex::hooks::detail
