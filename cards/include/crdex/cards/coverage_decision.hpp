#pragma once
// The coverage decision for one order: which outcome applies, why, and the
// identifiers that make the assertion traceable (CRD coverage-assertion-id).

#include <memory>
#include <string>

#include "crdex/cards/order_under_review.hpp"
#include "crdex/config/coverage_outcome.hpp"
#include "crdex/config/rule_catalog.hpp"

namespace crdex::cards {

struct CoverageDecision {
  const config::CoverageOutcome* outcome = nullptr;  // points into the catalog or into `synthesized`
  std::shared_ptr<const config::CoverageOutcome> synthesized;
  std::string rule_id;             // empty when the payer's default outcome applied
  int rule_set_version = 0;        // the store version of the payer's rules (0: not from the store)
  std::string coverage_reference;  // "Coverage/<id>" on the EHR's FHIR server
  std::string assertion_id;        // fresh per assertion (CRD resp-32)
  std::string date;                // FHIR date of the assertion
  std::shared_ptr<const config::RuleTrace> trace;  // only when the context asked for one
};

// Evaluates `payer`'s rules for `order`: the best matching rule's outcome, or
// the payer's default outcome when none matches (so a primary hook always
// gets coverage information, CRD hook-16).
CoverageDecision decide(const config::RuleCatalog& catalog, const config::PayerRuleSet& payer,
                        const OrderUnderReview& order, std::string coverage_reference);

// The same with every condition of the rules evaluated: `facts` describe the
// order, `context` the patient, coverage and day. The assertion id names the
// rule-set version ("<payer>.v<N>.<uuid>") so each answer is traceable to it.
CoverageDecision decide(const config::RuleCatalog& catalog, const config::PayerRuleSet& payer,
                        const config::OrderFacts& facts, const config::EvaluationContext& context,
                        std::string coverage_reference);

// A decision carrying an outcome crdex made up itself (technical failure,
// inactive coverage) rather than one from the payer's rules.
CoverageDecision synthesized_decision(config::CoverageOutcome outcome, std::string coverage_reference);

// For a secondary hook (order-select, encounter-start, encounter-discharge):
// clinical and administrative documentation is never asked for (CRD hook-19).
// When no documentation need remains, the questionnaires and documentation
// purposes that went with it are dropped too (crd-ci-q1).
CoverageDecision for_secondary_hook(CoverageDecision decision);

// The EHR switched off unsolicited determinations ("unsolicited-determ":
// false in davinci-crd.configuration, CRD found-35 / dev-14): a "satisfied"
// prior authorization is stated as still needed and its satisfied-pa-id is
// withheld, so a what-if call never carries a determination.
CoverageDecision without_unsolicited_determination(CoverageDecision decision);

// The last check before an assertion is written: an outcome that breaks a
// coverage-information invariant is replaced by indeterminate + technical
// (never sent malformed). Rule sets are checked when loaded, so this only
// fires on a defect in crdex itself.
CoverageDecision with_invariants_checked(CoverageDecision decision);

}  // namespace crdex::cards
