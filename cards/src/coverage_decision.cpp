#include "crdex/cards/coverage_decision.hpp"

#include <algorithm>

#include "crdex/config/coverage_invariants.hpp"
#include "crdex/fhir/identifiers.hpp"

namespace crdex::cards {

CoverageDecision decide(const config::RuleCatalog& catalog, const config::PayerRuleSet& payer,
                        const OrderUnderReview& order, std::string coverage_reference) {
  config::OrderFacts facts;
  facts.resource_type = order.resource_type;
  facts.codes = order.codes;
  config::EvaluationContext context;
  context.today = fhir::today_utc_date();
  return decide(catalog, payer, facts, context, std::move(coverage_reference));
}

CoverageDecision decide(const config::RuleCatalog& catalog, const config::PayerRuleSet& payer,
                        const config::OrderFacts& facts, const config::EvaluationContext& context,
                        std::string coverage_reference) {
  CoverageDecision decision;
  std::shared_ptr<config::RuleTrace> trace;
  if (context.trace) trace = std::make_shared<config::RuleTrace>();
  if (const config::Rule* rule = catalog.best_rule(payer, facts, context, trace.get())) {
    decision.outcome = &rule->outcome;
    decision.rule_id = rule->id;
  } else {
    decision.outcome = &payer.default_outcome;
  }
  decision.trace = std::move(trace);
  decision.rule_set_version = payer.version;
  decision.coverage_reference = std::move(coverage_reference);
  decision.assertion_id = payer.version > 0
                              ? payer.payer_id + ".v" + std::to_string(payer.version) + "." + fhir::random_uuid()
                              : fhir::random_uuid();
  decision.date = context.today.empty() ? fhir::today_utc_date() : context.today;
  return decision;
}

CoverageDecision synthesized_decision(config::CoverageOutcome outcome, std::string coverage_reference) {
  CoverageDecision decision;
  decision.synthesized = std::make_shared<const config::CoverageOutcome>(std::move(outcome));
  decision.outcome = decision.synthesized.get();
  decision.coverage_reference = std::move(coverage_reference);
  decision.assertion_id = fhir::random_uuid();
  decision.date = fhir::today_utc_date();
  return decision;
}

namespace {
// Keeps the identifiers of `decision` and puts `outcome` in place of its own.
CoverageDecision with_outcome(CoverageDecision decision, config::CoverageOutcome outcome) {
  decision.synthesized = std::make_shared<const config::CoverageOutcome>(std::move(outcome));
  decision.outcome = decision.synthesized.get();
  return decision;
}
}  // namespace

CoverageDecision for_secondary_hook(CoverageDecision decision) {
  const auto& docs = decision.outcome->doc_needed;
  const auto is_withheld = [](const std::string& code) { return code == "clinical" || code == "admin"; };
  if (std::none_of(docs.begin(), docs.end(), is_withheld)) return decision;
  config::CoverageOutcome limited = *decision.outcome;
  std::erase_if(limited.doc_needed, is_withheld);
  if (limited.doc_needed.empty()) {
    limited.questionnaires.clear();
    limited.doc_purpose.clear();
  }
  return with_outcome(std::move(decision), std::move(limited));
}

CoverageDecision without_unsolicited_determination(CoverageDecision decision) {
  if (decision.outcome->pa_needed != "satisfied") return decision;
  config::CoverageOutcome limited = *decision.outcome;
  limited.pa_needed = "auth-needed";
  limited.satisfied_pa_id.clear();
  return with_outcome(std::move(decision), std::move(limited));
}

CoverageDecision with_invariants_checked(CoverageDecision decision) {
  auto violation = config::find_invariant_violation(*decision.outcome);
  if (!violation) return decision;
  return with_outcome(std::move(decision),
                      config::technical_failure_outcome("crdex could not state this coverage information "
                                                        "consistently: the assertion " + *violation));
}

}  // namespace crdex::cards
