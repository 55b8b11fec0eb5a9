#include "crdex/config/coverage_invariants.hpp"

#include <algorithm>

#include "value_sets.hpp"

namespace crdex::config {

namespace {
bool has(const std::vector<std::string>& codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}
}  // namespace

std::optional<std::string> find_invariant_violation(const CoverageOutcome& o) {
  if (!o.questionnaires.empty() && o.doc_needed.empty()) return "lists a questionnaire without doc-needed (crd-ci-q1)";
  if (o.covered == "not-covered" && !o.pa_needed.empty())
    return "says not-covered, so it must not say pa-needed (crd-ci-q2)";
  const bool conditional =
      o.covered == "conditional" || o.pa_needed == "conditional" || has(o.doc_needed, "conditional");
  if (conditional && o.info_needed.empty()) return "is conditional, so it must say which info-needed (crd-ci-q3)";
  if ((o.pa_needed == "satisfied" || o.pa_needed == "no-auth") && has(o.doc_purpose, "withpa"))
    return "needs no prior authorization, so doc-purpose cannot be withpa (crd-ci-q4)";
  if ((o.pa_needed == "satisfied") != !o.satisfied_pa_id.empty())
    return "must give satisfied-pa-id exactly when pa-needed is satisfied (crd-ci-q5)";
  if (has(o.info_needed, "OTH") && o.reasons.empty()) return "says info-needed OTH, so it needs a reason (crd-ci-q6)";
  for (const auto& reason : o.reasons) {
    const bool standard = reason.coding.system == kCrdTempSystem && detail::contains(detail::kReasonCodes, reason.coding.code);
    if (!standard && reason.text.empty())
      return "uses a reason code outside the CRD coverage-assertion reasons without text (crd-ci-q7)";
  }
  if (!o.doc_purpose.empty() && o.reasons.empty()) return "gives a doc-purpose, so it needs a reason (crd-ci-q8)";
  const bool indeterminate =
      o.covered == "indeterminate" || o.pa_needed == "indeterminate" || has(o.doc_needed, "indeterminate");
  if (indeterminate && o.reasons.empty()) return "is indeterminate, so it needs a reason (crd-ci-q9)";
  return std::nullopt;
}

}  // namespace crdex::config
