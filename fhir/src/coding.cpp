#include "crdex/fhir/coding.hpp"

#include "crdex/fhir/json_node.hpp"

namespace crdex::fhir {

namespace {
void append_own_codings(simdjson::dom::object concept_object, std::vector<Coding>& out) {
  simdjson::dom::array codings;
  if (concept_object["coding"].get(codings) != simdjson::SUCCESS) return;
  for (simdjson::dom::element coding : codings) {
    std::string_view system, code, display;
    if (coding["system"].get(system) != simdjson::SUCCESS) continue;
    if (coding["code"].get(code) != simdjson::SUCCESS) continue;
    if (system.empty() || code.empty()) continue;
    read_into(coding["display"], display);
    out.push_back({std::string(system), std::string(code), std::string(display)});
  }
}
}  // namespace

void append_codings(simdjson::dom::element codeable_concept, std::vector<Coding>& out) {
  simdjson::dom::object concept_object;
  if (codeable_concept.get(concept_object) != simdjson::SUCCESS) return;
  append_own_codings(concept_object, out);

  simdjson::dom::array extensions;
  if (concept_object["extension"].get(extensions) != simdjson::SUCCESS) return;
  for (simdjson::dom::element extension : extensions) {
    std::string_view url;
    if (extension["url"].get(url) != simdjson::SUCCESS || url != kBillingOptionsUrl) continue;
    simdjson::dom::object billing_concept;
    if (extension["valueCodeableConcept"].get(billing_concept) == simdjson::SUCCESS)
      append_own_codings(billing_concept, out);
  }
}

}  // namespace crdex::fhir
