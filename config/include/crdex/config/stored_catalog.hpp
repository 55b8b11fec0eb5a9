#pragma once
// The bridge between the rule store and the rule catalog: start-up builds the
// catalog from every payer's current version, an empty store is seeded from
// rule files, and a publish derives the next catalog by replacing one payer.

#include <filesystem>
#include <memory>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_store.hpp"

namespace crdex::config {

// Parses each payer's current version (stamping its version number) and
// builds one catalog.
fhir::Result<std::shared_ptr<const RuleCatalog>> load_current_catalog(RuleStore& store);

// When the store has no current version yet, publishes every *.json file of
// `dir` (checked first, all or nothing, in one transaction) as version 1.
// Returns how many sets were stored (0 when the store was not empty).
fhir::Result<int> seed_empty_store(RuleStore& store, const std::filesystem::path& dir);

// `catalog` with `set` in place of the payer of the same id (or added).
// Fails like RuleCatalog::build when the set conflicts with another payer.
fhir::Result<std::shared_ptr<const RuleCatalog>> catalog_with(const RuleCatalog& catalog, PayerRuleSet set);

}  // namespace crdex::config
