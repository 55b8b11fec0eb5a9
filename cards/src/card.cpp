#include "crdex/cards/card.hpp"

#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/reference.hpp"

namespace crdex::cards {

namespace {

using fhir::write_key;
using fhir::write_string;

const char* topic_display(std::string_view code) {
  if (code == "coverage-info") return "Coverage Information";
  if (code == "guideline") return "Guideline";
  if (code == "claim") return "Claim Guidance";
  if (code == "network") return "Network Information";
  if (code == "cost") return "Cost Information";
  if (code == "appropriate-use") return "Appropriate use";
  if (code == "clinical-reminder") return "Clinical Reminder";
  if (code == "insurance") return "Insurance Updates";
  if (code == "limits") return "Limits";
  return nullptr;
}

// Keeps a generated summary inside the 140-character CDS Hooks limit.
std::string clip_summary(std::string text) {
  constexpr size_t kMax = 139;
  if (text.size() <= kMax) return text;
  size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  text.resize(cut);
  return text + "...";
}

}  // namespace

std::optional<Card> card_for(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                             const CoverageDecision& decision) {
  const config::CoverageOutcome& outcome = *decision.outcome;
  const std::string order_reference = fhir::relative_reference(order.resource_type, order.id);
  Card card;
  card.source_label = payer.payer_name;
  card.associated_resource = order_reference;
  if (outcome.card) {
    const auto& t = *outcome.card;
    card.summary = t.summary;
    card.indicator = t.indicator;
    card.topic = t.topic;
    card.links = t.links;
    // The card names the order it is about (CRD dev-24) when several are signed.
    card.detail = t.detail.empty() ? "Applies to: " + order.description
                                   : t.detail + "\n\nApplies to: " + order.description;
  } else if (outcome.pa_needed == "auth-needed") {
    card.summary = clip_summary("Prior authorization required: " + order.description);
    card.indicator = "info";
    card.topic = "coverage-info";
    card.detail = payer.payer_name + " requires prior authorization for " + order.description + " (" +
                  order_reference + ") before it is performed.";
    for (const auto& reason : outcome.reasons)
      if (!reason.text.empty()) card.detail += "\n\n" + reason.text;
  } else {
    return std::nullopt;
  }
  card.uuid = fhir::random_uuid();
  return card;
}

void write_card(fhir::JsonWriter& w, const Card& card) {
  w.StartObject();
  write_key(w, "uuid");
  write_string(w, card.uuid);
  write_key(w, "summary");
  write_string(w, card.summary);
  write_key(w, "indicator");
  write_string(w, card.indicator);
  fhir::write_optional_string(w, "detail", card.detail);
  write_key(w, "source");
  w.StartObject();
  write_key(w, "label");
  write_string(w, card.source_label);
  write_key(w, "topic");
  w.StartObject();
  write_key(w, "system");
  write_string(w, kCardTypeSystem);
  write_key(w, "code");
  write_string(w, card.topic);
  if (const char* display = topic_display(card.topic)) {
    write_key(w, "display");
    write_string(w, display);
  }
  w.EndObject();
  w.EndObject();
  if (!card.links.empty()) {
    write_key(w, "links");
    w.StartArray();
    for (const auto& link : card.links) {
      w.StartObject();
      write_key(w, "label");
      write_string(w, link.label);
      write_key(w, "url");
      write_string(w, link.url);
      write_key(w, "type");
      write_string(w, "absolute");
      w.EndObject();
    }
    w.EndArray();
  }
  if (!card.associated_resource.empty()) {
    write_key(w, "extension");
    w.StartObject();
    write_key(w, "davinci-crd.associated-resource");
    w.StartArray();
    w.StartObject();
    write_key(w, "reference");
    write_string(w, card.associated_resource);
    w.EndObject();
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace crdex::cards
