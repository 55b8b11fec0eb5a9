#include "crdex/config/coverage_outcome.hpp"

namespace crdex::config {

std::vector<std::string> CoverageOutcome::card_topics() const {
  std::vector<std::string> topics;
  if (card) topics.push_back(card->topic);
  if (alternatives) topics.push_back(alternatives->topic);
  if (companions) topics.push_back(companions->topic);
  if (form) topics.push_back(form->topic);
  if (smart_app) topics.push_back(smart_app->topic);
  if (pa_needed == "auth-needed" && !card) topics.emplace_back("coverage-info");
  return topics;
}

CoverageOutcome technical_failure_outcome(std::string explanation) {
  CoverageOutcome outcome;
  outcome.covered = "indeterminate";
  outcome.reasons.push_back({{kCrdTempSystem, "technical", "Technical issue"}, std::move(explanation)});
  return outcome;
}

CoverageOutcome undetermined_without_code_outcome(std::string explanation) {
  CoverageOutcome outcome;
  outcome.covered = "conditional";
  outcome.pa_needed = "conditional";
  outcome.info_needed = {"detail-code"};
  outcome.reasons.push_back({{kCrdTempSystem, "detail-code", "Detail code"}, std::move(explanation)});
  return outcome;
}

CoverageOutcome inactive_coverage_outcome(std::string explanation) {
  return not_covered_outcome("no-active-coverage", std::move(explanation));
}

CoverageOutcome not_covered_outcome(std::string_view reason_code, std::string explanation) {
  const char* display = reason_code == "no-member-found"      ? "No member found"
                        : reason_code == "no-active-coverage" ? "No active coverage"
                        : reason_code == "coverage-not-found" ? "Coverage not found"
                                                              : "";
  CoverageOutcome outcome;
  outcome.covered = "not-covered";
  outcome.reasons.push_back({{kCrdTempSystem, std::string(reason_code), display}, std::move(explanation)});
  return outcome;
}

}  // namespace crdex::config
