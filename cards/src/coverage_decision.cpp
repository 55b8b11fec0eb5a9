#include "crdex/cards/coverage_decision.hpp"

#include "crdex/fhir/identifiers.hpp"

namespace crdex::cards {

CoverageDecision decide(const config::RuleCatalog& catalog, const config::PayerRuleSet& payer,
                        const OrderUnderReview& order, std::string coverage_reference) {
  CoverageDecision decision;
  if (const config::Rule* rule = catalog.best_rule(payer, order.codes, order.resource_type)) {
    decision.outcome = &rule->outcome;
    decision.rule_id = rule->id;
  } else {
    decision.outcome = &payer.default_outcome;
  }
  decision.coverage_reference = std::move(coverage_reference);
  decision.assertion_id = fhir::random_uuid();
  decision.date = fhir::today_utc_date();
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

}  // namespace crdex::cards
