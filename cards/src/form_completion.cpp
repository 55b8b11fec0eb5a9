// Request Form Completion: a CRD questionnaire Task the EHR can add to its
// work list (profile-taskquestionnaire). When DTR applies, payers point to the
// questionnaire through coverage information (doc-needed) instead (resp-59).
#include <algorithm>

#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/reference.hpp"
#include "response_types.hpp"

namespace crdex::cards::detail {

namespace {

constexpr const char* kTaskProfile = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/profile-taskquestionnaire";
constexpr const char* kSdcTemp = "http://hl7.org/fhir/uv/sdc/CodeSystem/temp";
constexpr const char* kCrdTemp = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp";

void write_typed_input(fhir::JsonWriter& w, const char* system, const char* code) {
  fhir::write_key(w, "type");
  write_concept(w, {system, code, {}});
}

std::string questionnaire_task(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                               const config::FormTemplate& form) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "resourceType");
  fhir::write_string(w, "Task");
  fhir::write_key(w, "meta");
  w.StartObject();
  fhir::write_key(w, "profile");
  w.StartArray();
  fhir::write_string(w, kTaskProfile);
  w.EndArray();
  w.EndObject();
  fhir::write_key(w, "basedOn");
  w.StartArray();
  w.StartObject();
  fhir::write_key(w, "reference");
  fhir::write_string(w, fhir::relative_reference(order.resource_type, order.id));
  w.EndObject();
  w.EndArray();
  fhir::write_key(w, "status");
  fhir::write_string(w, "ready");
  fhir::write_key(w, "intent");
  fhir::write_string(w, "order");
  fhir::write_key(w, "code");
  write_concept(w, {kSdcTemp, "complete-questionnaire", {}});
  fhir::write_key(w, "description");
  fhir::write_string(w, form.label);
  simdjson::dom::element subject;
  if (order.resource["subject"].get(subject) == simdjson::SUCCESS) {
    fhir::write_key(w, "for");
    fhir::write_raw(w, subject);
  }
  copy_member(w, order, "encounter");
  fhir::write_key(w, "authoredOn");
  fhir::write_string(w, fhir::today_utc_date());
  fhir::write_key(w, "requester");
  w.StartObject();
  fhir::write_key(w, "display");
  fhir::write_string(w, payer.payer_name);
  w.EndObject();
  fhir::write_key(w, "input");
  w.StartArray();
  w.StartObject();
  write_typed_input(w, kSdcTemp, "questionnaire");
  fhir::write_key(w, "valueCanonical");
  fhir::write_string(w, form.questionnaire);
  w.EndObject();
  w.StartObject();
  write_typed_input(w, kCrdTemp, "after-completion-action");
  fhir::write_key(w, "valueCodeableConcept");
  write_concept(w, {kCrdTemp, form.after_completion, {}});
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return finish(buffer);
}

}  // namespace

std::optional<Card> form_completion_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                                         const config::FormTemplate& form,
                                         std::span<const std::string> questionnaires_on_client) {
  Card card = card_from(payer, order, form);
  card.selection_behavior = "any";
  Suggestion suggestion{fhir::random_uuid(), form.label, {}};
  const bool on_client = std::find(questionnaires_on_client.begin(), questionnaires_on_client.end(),
                                   form.questionnaire_search) != questionnaires_on_client.end();
  if (!form.questionnaire_resource.empty() && !on_client)
    suggestion.actions.push_back({"create", "Add the questionnaire " + form.questionnaire + " if the EHR lacks it",
                                  form.questionnaire_resource, {}, form.questionnaire_search});
  suggestion.actions.push_back({"create", "Add a task to complete: " + form.label,
                                questionnaire_task(payer, order, form), {}, {}});
  card.suggestions.push_back(std::move(suggestion));
  return card;
}

}  // namespace crdex::cards::detail
