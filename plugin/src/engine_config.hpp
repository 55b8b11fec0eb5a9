#pragma once
// The configuration JSON a host passes to crdex_engine_create and
// crdex_engine_replace_rules: where the payer rules come from.
//
//   {"rules_dir": "/path"}         every *.json file of a directory
//   {"rule_sets": [ {...}, ... ]}  crdex-rules/1 documents inline
//
// Exactly one of the two; unknown keys are refused. Optional Direct Query
// settings, read by crdex_engine_create (a replace keeps the engine's own):
//   "prefetch_timeout_ms": 1..60000   time a prefetch fill may take (3000)
//   "prefetch_max_pages": 1..100      pages fetched per search (5)
//   "fhir_allow_http": true|false     plain http:// to non-loopback servers (false)

#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/hooks/prefetch_fill.hpp"

namespace crdex::plugin {

struct EngineConfig {
  std::shared_ptr<const config::RuleCatalog> rules;
  // Set when the rules came from a directory: crdex_engine_reload_rules reads it again.
  std::optional<std::filesystem::path> rules_dir;
  hooks::PrefetchFillOptions fill;
};

// Reads the configuration and loads the rules it names. Errors: not JSON
// (structure), a wrong shape (invalid), a bad rule file (the parser's error).
fhir::Result<EngineConfig> load_engine_config(std::string_view json);

// Whether `json` is syntactically JSON: after a failed load, tells "not JSON
// at all" (CRDEX_E_BAD_JSON) from "JSON with wrong content" (CRDEX_E_CONFIG).
bool parses_as_json(std::string_view json);

}  // namespace crdex::plugin
