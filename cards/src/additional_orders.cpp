// Identify Additional Orders: companion or prerequisite orders the payer
// expects with this one, each ready to add as a draft.
#include "crdex/fhir/identifiers.hpp"
#include "response_types.hpp"

namespace crdex::cards::detail {

namespace {

std::string draft_order(const OrderUnderReview& order, const config::CompanionOrder& companion) {
  thread_local fhir::JsonBuffer reused_buffer;  // text copied out below, before the next use
  fhir::JsonBuffer& buffer = fhir::reused(reused_buffer);
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "resourceType");
  fhir::write_string(w, companion.resource_type);
  fhir::write_key(w, "status");
  fhir::write_string(w, "draft");
  fhir::write_key(w, "intent");
  fhir::write_string(w, "original-order");
  fhir::write_key(w, coded_element(companion.resource_type));
  write_concept(w, companion.code);
  // Same patient, encounter and requester as the order that called for it.
  copy_member(w, order, "subject");
  copy_member(w, order, "encounter");
  fhir::write_key(w, "authoredOn");
  fhir::write_string(w, fhir::today_utc_date());
  copy_member(w, order, "requester");
  w.EndObject();
  return finish(buffer);
}

}  // namespace

std::optional<Card> additional_orders_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                                           const config::CompanionsTemplate& companions) {
  Card card = card_from(payer, order, companions);
  card.selection_behavior = "any";
  for (const auto& companion : companions.orders) {
    Suggestion suggestion{fhir::random_uuid(), companion.label, {}};
    suggestion.actions.push_back({"create", "Add order: " + companion.label, draft_order(order, companion), {}, {}});
    card.suggestions.push_back(std::move(suggestion));
  }
  return card;
}

}  // namespace crdex::cards::detail
