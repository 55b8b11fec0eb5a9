#include "draft_orders.hpp"

#include <array>

#include "context_reading.hpp"

namespace crdex::hooks::detail {

namespace {

// The CRD standard prefetch for order-sign and order-select (CRD STU 2.2.1,
// CRDServices.json): the two hooks share it.
constexpr std::array<PrefetchTemplate, 9> kDraftOrderPrefetch{{
    {"patient", "Patient/{{context.patientId}}"},
    {"encounter", "Encounter/{{context.encounterId}}"},
    {"coverage", "Coverage?patient={{context.patientId}}&status=active", PrefetchFailure::fail},
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

}  // namespace

std::span<const PrefetchTemplate> draft_order_prefetch() { return kDraftOrderPrefetch; }

std::vector<cards::OrderUnderReview> read_draft_orders(const HookRequest& request) {
  const auto& context = request.context;
  optional_id(context, "userId");  // nothing needs it; its absence is logged (engine)
  required_id(context, "patientId");
  optional_id(context, "encounterId");
  std::vector<cards::OrderUnderReview> orders;
  for (const auto& resource : bundle_resources(context.at("draftOrders"))) {
    const auto key = resource_key(resource);
    if (one_of(kPreR4OrderTypes, key.type))
      resource.at("resourceType").fail("is \"" + std::string(key.type) + "\", not a FHIR R4 order type");
    if (!one_of(kOrderTypes, key.type)) continue;  // not an order CRD assesses
    auto order = cards::read_order(key.type, key.id, resource.element());
    add_referenced_codes(request, resource, order);
    add_unique(orders, std::move(order));
  }
  return orders;
}

}  // namespace crdex::hooks::detail
