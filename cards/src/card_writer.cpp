// Cards as CDS Hooks 2.0 JSON, with the CRD extensions; empty optional fields
// are left out (CDS Hooks forbids null, "", [] and {}).
#include "crdex/cards/card.hpp"
#include "crdex/config/card_types.hpp"

namespace crdex::cards {

namespace {

using fhir::write_key;
using fhir::write_string;

void write_source(fhir::JsonWriter& w, const Card& card) {
  write_key(w, "source");
  w.StartObject();
  write_key(w, "label");
  write_string(w, card.source_label);
  write_key(w, "topic");
  w.StartObject();
  write_key(w, "system");
  write_string(w, config::kCardTypeSystem);
  write_key(w, "code");
  write_string(w, card.topic);
  if (const auto* type = config::find_card_type(card.topic)) {
    write_key(w, "display");
    write_string(w, type->display);
  }
  w.EndObject();
  w.EndObject();
}

void write_suggestions(fhir::JsonWriter& w, const Card& card) {
  if (card.suggestions.empty()) return;
  write_key(w, "suggestions");
  w.StartArray();
  for (const auto& suggestion : card.suggestions) {
    w.StartObject();
    write_key(w, "label");
    write_string(w, suggestion.label);
    write_key(w, "uuid");
    write_string(w, suggestion.uuid);
    write_key(w, "actions");
    w.StartArray();
    for (const auto& action : suggestion.actions) write_action(w, action);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  write_key(w, "selectionBehavior");
  write_string(w, card.selection_behavior);
}

void write_links(fhir::JsonWriter& w, const Card& card) {
  if (card.links.empty()) return;
  write_key(w, "links");
  w.StartArray();
  for (const auto& link : card.links) {
    w.StartObject();
    write_key(w, "label");
    write_string(w, link.label);
    write_key(w, "url");
    write_string(w, link.url);
    write_key(w, "type");
    write_string(w, link.type);
    fhir::write_optional_string(w, "appContext", link.app_context);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

void write_action(fhir::JsonWriter& w, const Action& action) {
  w.StartObject();
  write_key(w, "type");
  write_string(w, action.type);
  write_key(w, "description");
  write_string(w, action.description);
  if (!action.resource_json.empty()) {
    write_key(w, "resource");
    fhir::write_json_text(w, action.resource_json, rapidjson::kObjectType);
  }
  fhir::write_optional_string(w, "resourceId", action.resource_id);
  if (!action.if_none_exist.empty()) {
    write_key(w, "extension");
    w.StartObject();
    write_key(w, "davinci-crd.if-none-exist");
    write_string(w, action.if_none_exist);
    w.EndObject();
  }
  w.EndObject();
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
  write_source(w, card);
  write_suggestions(w, card);
  write_links(w, card);
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
