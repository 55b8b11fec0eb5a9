#pragma once
// Readers for hook context fields that several services share. They throw
// fhir::JsonShapeError naming the field; services turn that into a 400.

#include <string>
#include <string_view>
#include <vector>

#include "crdex/cards/order_under_review.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/hooks/hook_request.hpp"

namespace crdex::hooks::detail {

// A required context string such as userId or patientId.
std::string_view required_id(const fhir::JsonNode& context, std::string_view key);

// An optional context string such as encounterId ("" when absent).
std::string_view optional_id(const fhir::JsonNode& context, std::string_view key);

// The resources of a context Bundle (draftOrders, appointments). A Bundle with
// no entries yields none; an entry without a resource is an error.
std::vector<fhir::JsonNode> bundle_resources(const fhir::JsonNode& bundle);

// resourceType and id of a context resource; both required (CRD found-36:
// context resources carry ids that updates can target).
struct ResourceKey {
  std::string_view type;
  std::string_view id;
};
ResourceKey resource_key(const fhir::JsonNode& resource);

// Adds `order` unless a resource with the same type and id is already listed.
void add_unique(std::vector<cards::OrderUnderReview>& orders, cards::OrderUnderReview order);

// Finds a resource of `type` with `id` in any prefetch value (a resource or a
// Bundle). Clients name prefetch keys differently, so every key is searched.
std::optional<simdjson::dom::element> find_in_prefetch(const HookRequest& request, std::string_view type,
                                                       std::string_view id);

// For orders coded by reference (MedicationRequest.medicationReference,
// DeviceRequest.codeReference) adds the codes of the referenced Medication or
// Device, found among the order's contained resources or in prefetch. When it
// cannot be found the order is marked unassessable, with the reason.
void add_referenced_codes(const HookRequest& request, const fhir::JsonNode& resource,
                          cards::OrderUnderReview& order);

}  // namespace crdex::hooks::detail
