#pragma once
// An Identifier as the CDex resources write it: system and value, each only
// when known (the attachment-request Task and the $submit-attachment
// Parameters share it).

#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/submit_attachment.hpp"

namespace crdex::fhir::detail {

inline void write_identifier(JsonWriter& w, const IdentifierValue& id) {
  w.StartObject();
  write_optional_string(w, "system", id.system);
  write_optional_string(w, "value", id.value);
  w.EndObject();
}

}  // namespace crdex::fhir::detail
