#include "crdex/cards/card.hpp"

#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/reference.hpp"
#include "response_types.hpp"

namespace crdex::cards {

namespace {

// Keeps a generated summary inside the 140-character CDS Hooks limit.
std::string clip_summary(std::string text) {
  constexpr size_t kMax = 139;
  if (text.size() <= kMax) return text;
  size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  text.resize(cut);
  return text + "...";
}

// The rule's own card: Instructions, or External Reference when it has links.
Card rule_card(const config::PayerRuleSet& payer, const OrderUnderReview& order, const config::CardTemplate& t) {
  Card card = detail::card_from(payer, order, t);
  for (const auto& link : t.links)
    if (!detail::is_pa_portal(payer, link.url)) card.links.push_back({link.label, link.url, "absolute", {}});
  return card;
}

// A rule that needs prior authorization and gives no card of its own still
// tells the clinician, in words, before the order is signed.
Card prior_authorization_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                              const config::CoverageOutcome& outcome) {
  const std::string order_reference = fhir::relative_reference(order.resource_type, order.id);
  Card card;
  card.uuid = fhir::random_uuid();
  card.summary = clip_summary("Prior authorization required: " + order.description);
  card.indicator = "info";
  card.topic = "coverage-info";
  card.source_label = payer.payer_name;
  card.associated_resource = order_reference;
  card.detail = payer.payer_name + " requires prior authorization for " + order.description + " (" +
                order_reference + ") before it is performed.";
  for (const auto& reason : outcome.reasons)
    if (!reason.text.empty()) card.detail += "\n\n" + reason.text;
  return card;
}

}  // namespace

std::vector<Card> cards_for(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                            const CoverageDecision& decision, std::span<const std::string> questionnaires_on_client) {
  const config::CoverageOutcome& outcome = *decision.outcome;
  std::vector<Card> cards;
  if (outcome.card)
    cards.push_back(rule_card(payer, order, *outcome.card));
  else if (outcome.pa_needed == "auth-needed")
    cards.push_back(prior_authorization_card(payer, order, outcome));
  if (outcome.alternatives)
    if (auto card = detail::alternate_request_card(payer, order, *outcome.alternatives)) cards.push_back(std::move(*card));
  if (outcome.companions)
    if (auto card = detail::additional_orders_card(payer, order, *outcome.companions)) cards.push_back(std::move(*card));
  if (outcome.form)
    if (auto card = detail::form_completion_card(payer, order, *outcome.form, questionnaires_on_client))
      cards.push_back(std::move(*card));
  if (outcome.smart_app) cards.push_back(detail::smart_app_card(payer, order, *outcome.smart_app));
  return cards;
}

}  // namespace crdex::cards
