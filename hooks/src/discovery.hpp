#pragma once
// The CDS Hooks discovery document, generated from the service registry and
// the card topics the loaded rules can produce.

#include <string>

#include "crdex/config/rule_catalog.hpp"

namespace crdex::hooks::detail {

// {"services":[...]} with the CRD extensions davinci-crd.version and
// davinci-crd.configuration-options (one boolean per card type crdex may
// return, plus max-cards; CRD dev-4, dev-5).
std::string discovery_json(const config::RuleCatalog& rules);

}  // namespace crdex::hooks::detail
