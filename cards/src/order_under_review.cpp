#include "crdex/cards/order_under_review.hpp"

#include <initializer_list>
#include <span>

#include "crdex/fhir/json_node.hpp"

namespace crdex::cards {

namespace {

using simdjson::dom::element;

// Follows `path` (object members; arrays are walked element by element) and
// collects the codings of every CodeableConcept found at its end.
void collect_path(element node, std::span<const std::string_view> path, std::vector<fhir::Coding>& out) {
  if (path.empty()) {
    if (node.is_array()) {
      for (element item : node.get_array()) fhir::append_codings(item, out);
    } else {
      fhir::append_codings(node, out);
    }
    return;
  }
  if (node.is_array()) {
    for (element item : node.get_array()) collect_path(item, path, out);
    return;
  }
  element child;
  if (!node.is_object() || node.get_object().value_unsafe().at_key(path.front()).get(child) != simdjson::SUCCESS)
    return;
  collect_path(child, path.subspan(1), out);
}

void collect(element node, std::initializer_list<std::string_view> path, std::vector<fhir::Coding>& out) {
  collect_path(node, std::span<const std::string_view>(path.begin(), path.size()), out);
}

// CommunicationRequest (R4) has no coded payload; CRD carries the code in the
// R5 cross-version extension on payload.
void collect_communication_payload(element resource, std::vector<fhir::Coding>& out) {
  simdjson::dom::array payloads;
  if (resource["payload"].get(payloads) != simdjson::SUCCESS) return;
  for (element payload : payloads) {
    simdjson::dom::array extensions;
    if (payload["extension"].get(extensions) != simdjson::SUCCESS) continue;
    for (element extension : extensions) {
      std::string_view url;
      if (extension["url"].get(url) != simdjson::SUCCESS || !url.ends_with("CommunicationRequest.payload.content[x]"))
        continue;
      element concept_value;
      if (extension["valueCodeableConcept"].get(concept_value) == simdjson::SUCCESS)
        fhir::append_codings(concept_value, out);
    }
  }
}

std::string describe(element resource, const std::vector<fhir::Coding>& codes, std::string_view resource_type) {
  for (const auto& code : codes)
    if (!code.display.empty()) return code.display;
  // A CodeableConcept's text is the next best human description.
  for (auto key : {"code", "codeCodeableConcept", "medicationCodeableConcept"}) {
    std::string_view text;
    if (resource[key]["text"].get(text) == simdjson::SUCCESS && !text.empty()) return std::string(text);
  }
  if (!codes.empty()) return codes.front().code;
  return std::string(resource_type);
}

}  // namespace

OrderUnderReview read_order(std::string_view resource_type, std::string_view id, element resource) {
  OrderUnderReview order;
  order.resource_type = resource_type;
  order.id = id;
  order.resource = resource;
  auto& codes = order.codes;
  if (resource_type == "ServiceRequest") {
    collect(resource, {"code"}, codes);
  } else if (resource_type == "DeviceRequest") {
    collect(resource, {"codeCodeableConcept"}, codes);
  } else if (resource_type == "MedicationRequest") {
    collect(resource, {"medicationCodeableConcept"}, codes);
  } else if (resource_type == "NutritionOrder") {
    collect(resource, {"oralDiet", "type"}, codes);
    collect(resource, {"supplement", "type"}, codes);
    collect(resource, {"enteralFormula", "baseFormulaType"}, codes);
    collect(resource, {"enteralFormula", "additiveType"}, codes);
  } else if (resource_type == "VisionPrescription") {
    collect(resource, {"lensSpecification", "product"}, codes);
  } else if (resource_type == "CommunicationRequest") {
    collect_communication_payload(resource, codes);
    collect(resource, {"category"}, codes);
  } else if (resource_type == "Encounter") {
    collect(resource, {"type"}, codes);
    collect(resource, {"serviceType"}, codes);
    std::string_view system, code;
    if (fhir::read_into(resource["class"]["system"], system) && fhir::read_into(resource["class"]["code"], code))
      codes.push_back({std::string(system), std::string(code), {}});
  } else if (resource_type == "Appointment") {
    collect(resource, {"serviceType"}, codes);
    collect(resource, {"appointmentType"}, codes);
  }
  order.description = describe(resource, codes, resource_type);
  return order;
}

}  // namespace crdex::cards
