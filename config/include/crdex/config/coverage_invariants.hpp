#pragma once
// The coverage-information invariants of CRD STU 2.2.1 (crd-ci-q1..q9), as one
// check used twice: when a rule set is loaded (the rule is refused with its
// path) and on every outcome crdex emits (a violation becomes indeterminate +
// technical instead of a malformed extension).

#include <optional>
#include <string>

#include "crdex/config/coverage_outcome.hpp"

namespace crdex::config {

// The first invariant `outcome` breaks, as "<what is wrong> (crd-ci-qN)", or
// nullopt when it keeps them all. q4 is checked for the code `no-auth` (the
// guide's expression tests the misspelt 'noauth').
std::optional<std::string> find_invariant_violation(const CoverageOutcome& outcome);

}  // namespace crdex::config
