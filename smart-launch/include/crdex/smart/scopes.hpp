#pragma once
// SMART scopes (SMART App Launch 2.2, scopes-and-launch-context): the v2
// syntax `<patient|user|system>/<Type|*>.<c?r?u?d?s?>[?param=value…]`, the
// launch-context scopes (`launch`, `launch/patient`, `launch/encounter`,
// `launch/<type>`), identity (`openid`, `fhirUser`, `profile`) and
// `offline_access` / `online_access`. v1 permissions map onto v2 (SM-13):
// `.read` → `.rs`, `.write` → `.cud`, `.*` → `.cruds`.

#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::smart {

// One scope in v2 form, or an Error naming it (400, expression "scope").
fhir::Result<std::string> normalize_scope(std::string_view scope);

// A space-separated scope list, each normalized, joined by single spaces.
fhir::Result<std::string> normalize_scopes(std::string_view scopes);

}  // namespace crdex::smart
