#include "coverage_response.hpp"

#include <algorithm>
#include <exception>

#include "crdex/cards/card.hpp"
#include "crdex/cards/coverage_decision.hpp"
#include "crdex/cards/coverage_information_action.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::hooks::detail {

namespace {

// One order's decision. A failure while evaluating one order must not cost the
// others their answers: it becomes `indeterminate` + reason `technical` for
// that order alone (CRD resp-43).
cards::CoverageDecision evaluate_one(const cards::OrderUnderReview& order, const SelectedCoverage& coverage,
                                     const config::RuleCatalog& rules) {
  if (!order.unassessable_because.empty())
    return cards::synthesized_decision(config::technical_failure_outcome(order.unassessable_because),
                                       coverage.reference);
  if (!coverage.inactive_because.empty())
    return cards::synthesized_decision(config::inactive_coverage_outcome(coverage.inactive_because),
                                       coverage.reference);
  try {
    return cards::decide(rules, *coverage.payer, order, coverage.reference);
  } catch (const std::exception& e) {
    return cards::synthesized_decision(
        config::technical_failure_outcome("Coverage could not be assessed for this order: " + std::string(e.what())),
        coverage.reference);
  }
}

cards::CoverageDecision decide_one(const cards::OrderUnderReview& order, const SelectedCoverage& coverage,
                                   const config::RuleCatalog& rules, HookRole role) {
  auto decision = evaluate_one(order, coverage, rules);
  if (role == HookRole::secondary) decision = cards::for_secondary_hook(std::move(decision));
  return cards::with_invariants_checked(std::move(decision));
}

// Prior-authorization cards first, then the rest in order; at most max_cards.
void order_and_trim(std::vector<cards::Card>& cards, const CrdConfiguration& configuration) {
  std::stable_sort(cards.begin(), cards.end(), [](const cards::Card& a, const cards::Card& b) {
    return (a.topic == "coverage-info") > (b.topic == "coverage-info");
  });
  if (cards.size() > static_cast<size_t>(configuration.max_cards)) cards.resize(configuration.max_cards);
}

}  // namespace

std::string coverage_response_json(const std::vector<cards::OrderUnderReview>& orders,
                                   const SelectedCoverage& coverage, const config::RuleCatalog& rules,
                                   const CrdConfiguration& configuration, HookRole role) {
  std::vector<cards::CoverageDecision> decisions;
  decisions.reserve(orders.size());
  std::vector<cards::Card> cards;
  for (const auto& order : orders) {
    decisions.push_back(decide_one(order, coverage, rules, role));
    for (auto& card : cards::cards_for(*coverage.payer, order, decisions.back())) {
      const bool wanted = card.topic == "coverage-info" ? configuration.coverage_info
                                                        : configuration.card_type_enabled(card.topic);
      if (wanted) cards.push_back(std::move(card));
    }
  }
  order_and_trim(cards, configuration);

  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "cards");
  w.StartArray();
  for (const auto& card : cards) cards::write_card(w, card);
  w.EndArray();
  // CDS Hooks forbids an empty array: systemActions is left out when there is none.
  // An order that already carries the same coverage information gets no update (resp-35).
  std::vector<size_t> updates;
  if (configuration.coverage_info)
    for (size_t i = 0; i < orders.size(); ++i)
      if (!cards::already_carries(orders[i], decisions[i])) updates.push_back(i);
  if (!updates.empty()) {
    fhir::write_key(w, "systemActions");
    w.StartArray();
    for (size_t i : updates) cards::write_coverage_information_action(w, orders[i], decisions[i]);
    w.EndArray();
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::hooks::detail
