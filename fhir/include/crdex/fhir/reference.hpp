#pragma once
// FHIR references: "Organization/acme", "http://ehr/fhir/Organization/acme/_history/2",
// "#contained", "urn:uuid:...". crdex compares references by type and id.

#include <string>
#include <string_view>

namespace crdex::fhir {

struct ReferenceParts {
  std::string_view type;  // "Organization"; empty when not a literal resource reference
  std::string_view id;    // "acme"
  bool valid() const { return !type.empty() && !id.empty(); }
};

// Splits a literal reference into resource type and id. The result views into
// `reference`. Version suffixes (`/_history/n`) are ignored.
ReferenceParts parse_reference(std::string_view reference);

// "Type/id", the relative form of a resource's own reference.
std::string relative_reference(std::string_view type, std::string_view id);

}  // namespace crdex::fhir
