// appointment-book: coverage information for proposed appointments
// (CDS Hooks appointment-book 1.0; CRD primary hook, hook-16). An appointment
// based on a ServiceRequest is assessed through that ServiceRequest, and the
// update targets the ServiceRequest (CRD cards.md).

#include <array>

#include "crdex/fhir/json_node.hpp"
#include "context_reading.hpp"
#include "crdex/fhir/reference.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks {

namespace {

// The CRD standard prefetch for appointment-book (CRD STU 2.2.1, CRDServices.json).
constexpr std::array<PrefetchTemplate, 12> kAppointmentBookPrefetch{{
    {"patient", "Patient/{{context.patientId}}"},
    {"encounter", "Encounter/{{context.encounterId}}"},
    {"coverage", "Coverage?patient={{context.patientId}}&status=active", PrefetchFailure::fail},
    {"deviceRequests",
     "DeviceRequest?_id={{context.appointments.entry.resource.basedOn.extension('http://hl7.org/fhir/"
     "StructureDefinition/alternate-reference').value.resolve().ofType(DeviceRequest).id}}"},
    {"serviceRequests", "ServiceRequest?_id={{context.appointments.entry.resource.basedOn.resolve().ofType("
                        "ServiceRequest).id}}"},
    {"medicationRequests",
     "MedicationRequest?_id={{context.appointments.entry.resource.basedOn.extension('http://hl7.org/fhir/"
     "StructureDefinition/alternate-reference').value.resolve().ofType(MedicationRequest).id}}"},
    {"devices", "Device?_id={{%deviceRequests.entry.resource.code.resolve().id}}"},
    {"medications", "Medication?_id={{%medicationRequests.entry.resource.medication.resolve().id}}"},
    {"practitionerRoles",
     "PractitionerRole?_id={{%encounter.participant.individual.resolve().ofType(PractitionerRole).id"
     "|context.appointments.entry.resource.participant.actor.resolve().ofType(PractitionerRole).id"
     "|%deviceRequests.entry.resource.performer.resolve().ofType(PractitionerRole).id"
     "|%deviceRequests.entry.resource.requester.resolve().ofType(PractitionerRole).id"
     "|%medicationRequests.entry.resource.performer.resolve().ofType(PractitionerRole).id"
     "|%medicationRequests.entry.resource.requester.resolve().ofType(PractitionerRole).id"
     "|%serviceRequests.entry.resource.performer.resolve().ofType(PractitionerRole).id"
     "|%serviceRequests.entry.resource.requester.resolve().ofType(PractitionerRole).id}}"},
    {"practitioners",
     "Practitioner?_id={{%practitionerRoles.entry.resource.practitioner.resolve().id"
     "|%encounter.participant.individual.resolve().ofType(Practitioner).id"
     "|context.appointments.entry.resource.participant.actor.resolve().ofType(Practitioner).id"
     "|%deviceRequests.entry.resource.performer.resolve().ofType(Practitioner).id"
     "|%deviceRequests.entry.resource.requester.resolve().ofType(Practitioner).id"
     "|%medicationRequests.entry.resource.performer.resolve().ofType(Practitioner).id"
     "|%medicationRequests.entry.resource.requester.resolve().ofType(Practitioner).id"
     "|%serviceRequests.entry.resource.performer.resolve().ofType(Practitioner).id"
     "|%serviceRequests.entry.resource.requester.resolve().ofType(Practitioner).id}}"},
    {"organizations",
     "Organization?_id={{%practitionerRoles.entry.resource.organization.resolve().id"
     "|%encounter.serviceProvider.resolve().ofType(Organization).id"
     "|%medicationRequests.entry.resource.dispenseRequest.performer.resolve().ofType(Organization).id"
     "|%serviceRequests.entry.resource.performer.resolve().ofType(Organization).id}}"},
    {"locations",
     "Location?_id={{%practitionerRoles.entry.resource.location.resolve().id"
     "|%encounter.location.location.resolve().id"
     "|context.appointments.entry.resource.participant.actor.resolve().ofType(Location).id"
     "|%serviceRequests.entry.resource.locationReference.resolve().ofType(Location).id}}"},
}};

// ServiceRequests an appointment is based on that the request carries in full.
std::vector<simdjson::dom::element> based_on_service_requests(const HookRequest& request,
                                                              const fhir::JsonNode& appointment) {
  std::vector<simdjson::dom::element> found;
  auto based_on = appointment.find("basedOn");
  if (!based_on || based_on->is_null()) return found;
  for (const auto& reference : based_on->items()) {
    const auto target = fhir::parse_reference(reference.expect_object().string_or_empty("reference"));
    if (target.type != "ServiceRequest") continue;
    if (auto resource = detail::find_in_prefetch(request, target.type, target.id)) found.push_back(*resource);
  }
  return found;
}

fhir::Result<std::vector<cards::OrderUnderReview>> appointment_book_scope(const HookRequest& request) {
  try {
    const auto& context = request.context;
    detail::optional_id(context, "userId");  // nothing needs it; its absence is logged (engine)
    detail::required_id(context, "patientId");
    detail::optional_id(context, "encounterId");
    std::vector<cards::OrderUnderReview> orders;
    for (const auto& resource : detail::bundle_resources(context.at("appointments"))) {
      const auto key = detail::resource_key(resource);
      if (key.type != "Appointment") continue;
      const auto service_requests = based_on_service_requests(request, resource);
      if (service_requests.empty()) {
        detail::add_unique(orders, cards::read_order(key.type, key.id, resource.element()));
        continue;
      }
      for (auto service_request : service_requests) {
        std::string_view id;
        fhir::read_into(service_request["id"], id);
        detail::add_unique(orders, cards::read_order("ServiceRequest", id, service_request));
      }
    }
    return orders;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

const ServiceDescriptor kAppointmentBook{
    "crdex-appointment-book",
    "appointment-book",
    "Coverage requirements for appointments being booked",
    "Tells the scheduler, for each proposed appointment (or the order it is based on), whether the patient's payer "
    "covers it and whether prior authorization or documentation is needed (Da Vinci CRD coverage information).",
    kAppointmentBookPrefetch,
    appointment_book_scope,
    HookRole::primary,
};

}  // namespace

const ServiceDescriptor& appointment_book_service() { return kAppointmentBook; }

}  // namespace crdex::hooks
