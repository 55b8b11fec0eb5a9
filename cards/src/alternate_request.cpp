// Propose Alternate Request: the payer's preferred order in place of the one
// being signed, as a one-click swap.
#include "crdex/cards/coverage_information_action.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "response_types.hpp"

namespace crdex::cards::detail {

namespace {

// The member that codes the order by reference instead (replaced as well).
std::string_view coded_reference(std::string_view resource_type) {
  if (resource_type == "DeviceRequest") return "codeReference";
  if (resource_type == "MedicationRequest") return "medicationReference";
  return {};
}

bool is_coverage_information(simdjson::dom::element extension) {
  std::string_view url;
  return extension["url"].get(url) == simdjson::SUCCESS && url == kCoverageInformationUrl;
}

// The order as the EHR sent it with what is ordered replaced by `code`. Any
// coverage information it carried was about the old code, so it is left out.
std::string order_with_code(const OrderUnderReview& order, const fhir::Coding& code) {
  const auto element = coded_element(order.resource_type);
  const auto reference = coded_reference(order.resource_type);
  thread_local fhir::JsonBuffer reused_buffer;  // text copied out below, before the next use
  fhir::JsonBuffer& buffer = fhir::reused(reused_buffer);
  fhir::JsonWriter w(buffer);
  w.StartObject();
  bool written = false;
  for (auto field : order.resource.get_object()) {
    if (field.key == element || (!reference.empty() && field.key == reference)) {
      if (!written) {
        fhir::write_key(w, element);
        write_concept(w, code);
        written = true;
      }
      continue;
    }
    if (field.key == "extension" && field.value.is_array()) {
      std::vector<simdjson::dom::element> kept;
      for (auto extension : field.value.get_array())
        if (!is_coverage_information(extension)) kept.push_back(extension);
      if (kept.empty()) continue;
      fhir::write_key(w, field.key);
      w.StartArray();
      for (auto extension : kept) fhir::write_raw(w, extension);
      w.EndArray();
      continue;
    }
    fhir::write_key(w, field.key);
    fhir::write_raw(w, field.value);
  }
  if (!written) {
    fhir::write_key(w, element);
    write_concept(w, code);
  }
  w.EndObject();
  return finish(buffer);
}

}  // namespace

std::optional<Card> alternate_request_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                                           const config::AlternativesTemplate& alternatives) {
  if (coded_element(order.resource_type).empty()) return std::nullopt;
  Card card = card_from(payer, order, alternatives);
  card.selection_behavior = "at-most-one";
  for (const auto& option : alternatives.options) {
    Suggestion suggestion{fhir::random_uuid(), option.label, {}};
    suggestion.actions.push_back(
        {"update", "Change " + order.description + " to " + option.label, order_with_code(order, option.code), {}, {}});
    card.suggestions.push_back(std::move(suggestion));
  }
  return card;
}

}  // namespace crdex::cards::detail
