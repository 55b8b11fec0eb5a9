#pragma once
// OrderUnderReview: one request resource (or appointment) crdex gives coverage
// information for, read in place from the hook request: nothing is copied but
// the codes the rules are matched on.

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/coding.hpp"

namespace crdex::cards {

struct OrderUnderReview {
  std::string_view resource_type;
  std::string_view id;
  simdjson::dom::element resource;  // the whole resource, as the EHR sent it
  std::vector<fhir::Coding> codes;  // what the payer's rules match on
  std::string description;          // human words for cards ("Portable oxygen system")
  // Set when the order's codes could not be determined (e.g. a referenced
  // Medication the request does not include): the order is then reported
  // `indeterminate` with reason `technical` and this explanation (CRD resp-43).
  std::string unassessable_because;
};

// Reads the codes and a description of an order, by resource type:
// ServiceRequest.code, DeviceRequest.codeCodeableConcept,
// MedicationRequest.medicationCodeableConcept, NutritionOrder diet/formula/
// supplement types, VisionPrescription lens products, CommunicationRequest
// payload codes, Appointment.serviceType, Encounter type/serviceType/class —
// each with its CRD billing options.
OrderUnderReview read_order(std::string_view resource_type, std::string_view id, simdjson::dom::element resource);

}  // namespace crdex::cards
