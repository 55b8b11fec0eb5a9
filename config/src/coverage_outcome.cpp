#include "crdex/config/coverage_outcome.hpp"

namespace crdex::config {

CoverageOutcome technical_failure_outcome(std::string explanation) {
  CoverageOutcome outcome;
  outcome.covered = "indeterminate";
  outcome.reasons.push_back({{kCrdTempSystem, "technical", "Technical issue"}, std::move(explanation)});
  return outcome;
}

CoverageOutcome inactive_coverage_outcome(std::string explanation) {
  CoverageOutcome outcome;
  outcome.covered = "not-covered";
  outcome.reasons.push_back({{kCrdTempSystem, "no-active-coverage", "No active coverage"}, std::move(explanation)});
  return outcome;
}

}  // namespace crdex::config
