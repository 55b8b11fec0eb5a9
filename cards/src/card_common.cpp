// Shared pieces of the card builders.
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/reference.hpp"
#include "response_types.hpp"

namespace crdex::cards::detail {

template <class Template>
Card card_from(const config::PayerRuleSet& payer, const OrderUnderReview& order, const Template& t) {
  Card card;
  card.uuid = fhir::random_uuid();
  card.summary = t.summary;
  card.indicator = t.indicator;
  card.topic = t.topic;
  card.source_label = payer.payer_name;
  card.associated_resource = fhir::relative_reference(order.resource_type, order.id);
  // The card names the order it is about (CRD dev-24) when several are signed.
  card.detail = t.detail.empty() ? "Applies to: " + order.description
                                 : t.detail + "\n\nApplies to: " + order.description;
  return card;
}

template Card card_from(const config::PayerRuleSet&, const OrderUnderReview&, const config::CardTemplate&);
template Card card_from(const config::PayerRuleSet&, const OrderUnderReview&, const config::AlternativesTemplate&);
template Card card_from(const config::PayerRuleSet&, const OrderUnderReview&, const config::CompanionsTemplate&);
template Card card_from(const config::PayerRuleSet&, const OrderUnderReview&, const config::FormTemplate&);
template Card card_from(const config::PayerRuleSet&, const OrderUnderReview&, const config::SmartAppTemplate&);

std::string_view coded_element(std::string_view resource_type) {
  if (resource_type == "ServiceRequest") return "code";
  if (resource_type == "DeviceRequest") return "codeCodeableConcept";
  if (resource_type == "MedicationRequest") return "medicationCodeableConcept";
  return {};
}

bool is_pa_portal(const config::PayerRuleSet& payer, std::string_view url) {
  for (const auto& portal : payer.pa_portals)
    if (url.starts_with(portal)) return true;
  return false;
}

void write_concept(fhir::JsonWriter& w, const fhir::Coding& code) {
  w.StartObject();
  fhir::write_key(w, "coding");
  w.StartArray();
  w.StartObject();
  fhir::write_key(w, "system");
  fhir::write_string(w, code.system);
  fhir::write_key(w, "code");
  fhir::write_string(w, code.code);
  fhir::write_optional_string(w, "display", code.display);
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

void copy_member(fhir::JsonWriter& w, const OrderUnderReview& order, std::string_view member) {
  simdjson::dom::element value;
  if (order.resource[member].get(value) != simdjson::SUCCESS) return;
  fhir::write_key(w, member);
  fhir::write_raw(w, value);
}

std::string finish(fhir::JsonBuffer& buffer) { return {buffer.GetString(), buffer.GetSize()}; }

}  // namespace crdex::cards::detail
