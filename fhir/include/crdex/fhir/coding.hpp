#pragma once
// FHIR Coding / CodeableConcept as crdex reads them from orders and rules.

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace crdex::fhir {

struct Coding {
  std::string system;
  std::string code;
  std::string display;

  bool same_concept(const Coding& other) const {
    return system == other.system && code == other.code;
  }
};

// The CRD billing-options extension: alternative billing codes (CPT/HCPCS) that
// an order's CodeableConcept may carry beside its own codings.
inline constexpr std::string_view kBillingOptionsUrl =
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options";

// Appends the codings of a CodeableConcept, then those of its billing-options
// extensions. Codings without both system and code are skipped: they cannot
// match a rule. Non-object input contributes nothing.
void append_codings(simdjson::dom::element codeable_concept, std::vector<Coding>& out);

}  // namespace crdex::fhir
