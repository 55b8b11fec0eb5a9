// order-dispatch: coverage information when signed orders are sent to the
// performer who will fill them (CDS Hooks order-dispatch; CRD primary hook). The
// context names the orders by reference; their resources come from prefetch.

#include <algorithm>
#include <array>

#include "context_reading.hpp"
#include "crdex/fhir/reference.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks {

namespace {

// The CRD standard prefetch for order-dispatch (CRD STU 2.2.1, CRDServices.json).
// The hook has no encounterId, so clients skip the `encounter` key (spec note).
constexpr std::array<PrefetchTemplate, 15> kOrderDispatchPrefetch{{
    {"patient", "Patient/{{context.patientId}}"},
    {"encounter", "Encounter/{{context.encounterId}}"},
    {"coverage", "Coverage?patient={{context.patientId}}&status=active", PrefetchFailure::fail},
    {"communicationRequests",
     "CommunicationRequest?_id={{context.dispatchedOrders.resolve().ofType(CommunicationRequest).id}}"},
    {"deviceRequests", "DeviceRequest?_id={{context.dispatchedOrders.resolve().ofType(DeviceRequest).id}}"},
    {"medicationRequests",
     "MedicationRequest?_id={{context.dispatchedOrders.resolve().ofType(MedicationRequest).id}}"},
    {"nutritionOrders", "NutritionOrder?_id={{context.dispatchedOrders.resolve().ofType(NutritionOrder).id}}"},
    {"serviceRequests", "ServiceRequest?_id={{context.dispatchedOrders.resolve().ofType(ServiceRequest).id}}"},
    {"visionPrescriptions",
     "VisionPrescription?_id={{context.dispatchedOrders.resolve().ofType(VisionPrescription).id}}"},
    {"devices", "Device?_id={{%deviceRequests.entry.resource.code.resolve().id}}"},
    {"medications", "Medication?_id={{%medicationRequests.entry.resource.medication.resolve().id}}"},
    {"practitionerRoles",
     "PractitionerRole?_id={{%encounter.participant.individual.resolve().ofType(PractitionerRole).id"
     "|%communicationRequests.entry.resource.sender.resolve().ofType(PractitionerRole).id"
     "|%communicationRequests.entry.resource.recipient.resolve().ofType(PractitionerRole).id"
     "|%communicationRequests.entry.resource.requester.resolve().ofType(PractitionerRole).id"
     "|%deviceRequests.entry.resource.performer.resolve().ofType(PractitionerRole).id"
     "|%deviceRequests.entry.resource.requester.resolve().ofType(PractitionerRole).id"
     "|%medicationRequests.entry.resource.performer.resolve().ofType(PractitionerRole).id"
     "|%medicationRequests.entry.resource.requester.resolve().ofType(PractitionerRole).id"
     "|%serviceRequests.entry.resource.performer.resolve().ofType(PractitionerRole).id"
     "|%serviceRequests.entry.resource.requester.resolve().ofType(PractitionerRole).id"
     "|%nutritionOrders.entry.resource.orderer.resolve().ofType(PractitionerRole).id"
     "|%visionPrescriptions.entry.resource.prescriber.resolve().ofType(PractitionerRole).id}}"},
    {"practitioners",
     "Practitioner?_id={{%practitionerRoles.entry.resource.practitioner.resolve().id"
     "|%encounter.participant.individual.resolve().ofType(Practitioner).id"
     "|%communicationRequests.entry.resource.sender.resolve().ofType(Practitioner).id"
     "|%communicationRequests.entry.resource.recipient.resolve().ofType(Practitioner).id"
     "|%communicationRequests.entry.resource.requester.resolve().ofType(Practitioner).id"
     "|%deviceRequests.entry.resource.performer.resolve().ofType(Practitioner).id"
     "|%deviceRequests.entry.resource.requester.resolve().ofType(Practitioner).id"
     "|%medicationRequests.entry.resource.performer.resolve().ofType(Practitioner).id"
     "|%medicationRequests.entry.resource.requester.resolve().ofType(Practitioner).id"
     "|%serviceRequests.entry.resource.performer.resolve().ofType(Practitioner).id"
     "|%serviceRequests.entry.resource.requester.resolve().ofType(Practitioner).id"
     "|%nutritionOrders.entry.resource.orderer.resolve().ofType(Practitioner).id"
     "|%visionPrescriptions.entry.resource.prescriber.resolve().ofType(Practitioner).id}}"},
    {"organizations",
     "Organization?_id={{%practitionerRoles.entry.resource.organization.resolve().id"
     "|%encounter.serviceProvider.resolve().ofType(Organization).id"
     "|%communicationRequests.entry.resource.recipient.resolve().ofType(Organization).id"
     "|%communicationRequests.entry.resource.sender.resolve().ofType(Organization).id"
     "|%medicationRequests.entry.resource.dispenseRequest.performer.resolve().id"
     "|%serviceRequests.entry.resource.performer.resolve().ofType(Organization).id}}"},
    {"locations",
     "Location?_id={{%practitionerRoles.entry.resource.location.resolve().id"
     "|%encounter.location.location.resolve().id"
     "|%serviceRequests.entry.resource.locationReference.resolve().id}}"},
}};

constexpr std::array<std::string_view, 6> kOrderTypes{"ServiceRequest", "DeviceRequest",      "MedicationRequest",
                                                      "NutritionOrder", "VisionPrescription", "CommunicationRequest"};

// Each fulfillment Task must be about one of the dispatched orders.
void check_fulfillment_tasks(const HookRequest& request, const std::vector<std::string_view>& dispatched) {
  auto tasks = request.context.find("fulfillmentTasks");
  if (!tasks || tasks->is_null()) return;
  for (const auto& task : tasks->items()) {
    task.expect_object();
    if (task.at("resourceType").as_string() != "Task") task.at("resourceType").fail("must be \"Task\"");
    bool linked = false;
    for (auto member : {"focus", "basedOn"}) {
      auto target = task.find(member);
      if (!target || target->is_null()) continue;
      auto references = target->is_array() ? target->items() : std::vector<fhir::JsonNode>{*target};
      for (const auto& reference : references) {
        const auto parts = fhir::parse_reference(reference.expect_object().string_or_empty("reference"));
        linked = linked || std::any_of(dispatched.begin(), dispatched.end(), [&](std::string_view d) {
                   const auto order = fhir::parse_reference(d);
                   return order.type == parts.type && order.id == parts.id;
                 });
      }
    }
    if (!linked) task.fail("must refer (focus or basedOn) to one of context.dispatchedOrders");
  }
}

fhir::Result<std::vector<cards::OrderUnderReview>> order_dispatch_scope(const HookRequest& request) {
  try {
    const auto& context = request.context;
    detail::required_id(context, "patientId");
    detail::required_id(context, "performer");
    std::vector<std::string_view> dispatched;
    for (const auto& order : context.at("dispatchedOrders").items()) dispatched.push_back(order.as_non_empty_string());
    if (dispatched.empty()) context.at("dispatchedOrders").fail("must name at least one order");
    check_fulfillment_tasks(request, dispatched);

    std::vector<cards::OrderUnderReview> orders;
    for (size_t i = 0; i < dispatched.size(); ++i) {
      const auto parts = fhir::parse_reference(dispatched[i]);
      const auto path = "context.dispatchedOrders[" + std::to_string(i) + "]";
      if (!parts.valid() || std::find(kOrderTypes.begin(), kOrderTypes.end(), parts.type) == kOrderTypes.end())
        throw fhir::JsonShapeError(path, path + " must reference an R4 order (e.g. ServiceRequest/123)");
      auto resource = detail::find_in_prefetch(request, parts.type, parts.id);
      if (!resource) {
        // The update needs the whole order; without it there is nothing to answer with.
        return fhir::Error{412, fhir::IssueType::not_found,
                           std::string(dispatched[i]) + " is not in the request's prefetch, and crdex needs the " +
                               "whole order to return its coverage information",
                           path};
      }
      auto order = cards::read_order(parts.type, parts.id, *resource);
      detail::add_referenced_codes(request, fhir::JsonNode(*resource, path), order);
      detail::add_unique(orders, std::move(order));
    }
    return orders;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

const ServiceDescriptor kOrderDispatch{
    "crdex-order-dispatch",
    "order-dispatch",
    "Coverage requirements for orders sent to a performer",
    "When signed orders are dispatched to the organization or practitioner who will fill them, tells the "
    "performer whether the payer covers them and what prior authorization or documentation is needed "
    "(Da Vinci CRD coverage information).",
    kOrderDispatchPrefetch,
    order_dispatch_scope,
    HookRole::primary,
};

}  // namespace

const ServiceDescriptor& order_dispatch_service() { return kOrderDispatch; }

}  // namespace crdex::hooks
