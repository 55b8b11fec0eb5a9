// order-sign: coverage information for every draft order being signed
// (CDS Hooks order-sign 1.0; CRD primary hook, hook-16).

#include <array>

#include "context_reading.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks {

namespace {

// The CRD standard prefetch for order-sign (CRD STU 2.2.1, CRDServices.json).
constexpr std::array<PrefetchTemplate, 9> kPrefetch{{
    {"patient", "Patient/{{context.patientId}}"},
    {"encounter", "Encounter/{{context.encounterId}}"},
    {"coverage", "Coverage?patient={{context.patientId}}&status=active"},
    {"devices", "Device?_id={{context.draftOrders.entry.resource.ofType(DeviceRequest).code.resolve().id}}"},
    {"medications",
     "Medication?_id={{context.draftOrders.entry.resource.ofType(MedicationRequest).medication.resolve().id}}"},
    {"practitionerRoles",
     "PractitionerRole?_id={{%encounter.participant.individual.resolve().ofType(PractitionerRole).id"
     "|context.draftOrders.entry.resource.sender.resolve().ofType(PractitionerRole).id"
     "|context.draftOrders.entry.resource.recipient.resolve().ofType(PractitionerRole).id"
     "|context.draftOrders.entry.resource.requester.resolve().ofType(PractitionerRole).id"
     "|context.draftOrders.entry.resource.performer.resolve().ofType(PractitionerRole).id"
     "|context.draftOrders.entry.resource.orderer.resolve().ofType(PractitionerRole).id"
     "|context.draftOrders.entry.resource.prescriber.resolve().ofType(PractitionerRole).id}}"},
    {"practitioners",
     "Practitioner?_id={{%practitionerRoles.entry.resource.practitioner.resolve().id"
     "|%encounter.participant.individual.resolve().ofType(Practitioner).id"
     "|context.draftOrders.entry.resource.sender.resolve().ofType(Practitioner).id"
     "|context.draftOrders.entry.resource.recipient.resolve().ofType(Practitioner).id"
     "|context.draftOrders.entry.resource.requester.resolve().ofType(Practitioner).id"
     "|context.draftOrders.entry.resource.performer.resolve().ofType(Practitioner).id"
     "|context.draftOrders.entry.resource.orderer.resolve().ofType(Practitioner).id"
     "|context.draftOrders.entry.resource.prescriber.resolve().ofType(Practitioner).id}}"},
    {"organizations",
     "Organization?_id={{%practitionerRoles.entry.resource.organization.resolve().id"
     "|%encounter.serviceProvider.resolve().ofType(Organization).id"
     "|context.draftOrders.entry.resource.dispenseRequest.performer.resolve().id"
     "|context.draftOrders.entry.resource.sender.resolve().ofType(Organization).id"
     "|context.draftOrders.entry.resource.recipient.resolve().ofType(Organization).id"
     "|context.draftOrders.entry.resource.performer.resolve().ofType(Organization).id}}"},
    {"locations",
     "Location?_id={{%practitionerRoles.entry.resource.location.resolve().id"
     "|%encounter.location.location.resolve().id"
     "|context.draftOrders.entry.resource.locationReference.resolve().id}}"},
}};

constexpr std::array<std::string_view, 6> kOrderTypes{"ServiceRequest", "DeviceRequest",      "MedicationRequest",
                                                      "NutritionOrder", "VisionPrescription", "CommunicationRequest"};
// Earlier FHIR versions' order types: CRD is R4 only, so these are refused
// rather than silently skipped (they would get no coverage information).
constexpr std::array<std::string_view, 4> kPreR4OrderTypes{"ProcedureRequest", "MedicationOrder", "ReferralRequest",
                                                           "DiagnosticOrder"};

template <size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view value) {
  for (auto s : set)
    if (s == value) return true;
  return false;
}

fhir::Result<std::vector<cards::OrderUnderReview>> order_sign_scope(const HookRequest& request) {
  try {
    const auto& context = request.context;
    detail::required_id(context, "userId");
    detail::required_id(context, "patientId");
    detail::optional_id(context, "encounterId");
    std::vector<cards::OrderUnderReview> orders;
    for (const auto& resource : detail::bundle_resources(context.at("draftOrders"))) {
      const auto key = detail::resource_key(resource);
      if (one_of(kPreR4OrderTypes, key.type))
        resource.at("resourceType").fail("is \"" + std::string(key.type) + "\", not a FHIR R4 order type");
      if (!one_of(kOrderTypes, key.type)) continue;  // not an order CRD assesses
      auto order = cards::read_order(key.type, key.id, resource.element());
      detail::add_referenced_codes(request, resource, order);
      detail::add_unique(orders, std::move(order));
    }
    return orders;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

const ServiceDescriptor kOrderSign{
    "crdex-order-sign",
    "order-sign",
    "Coverage requirements for orders being signed",
    "Tells the ordering clinician, for each draft order, whether the patient's payer covers it, whether prior "
    "authorization or documentation is needed, and what else the payer asks for (Da Vinci CRD coverage "
    "information).",
    kPrefetch,
    order_sign_scope,
};

}  // namespace

const ServiceDescriptor& order_sign_service() { return kOrderSign; }

}  // namespace crdex::hooks
