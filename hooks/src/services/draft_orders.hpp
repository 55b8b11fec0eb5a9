#pragma once
// What order-sign and order-select share: the draftOrders context, the user
// fields around it, and the CRD standard prefetch.

#include <span>
#include <vector>

#include "crdex/cards/order_under_review.hpp"
#include "crdex/hooks/hook_request.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks::detail {

std::span<const PrefetchTemplate> draft_order_prefetch();

// Checks userId, patientId and the optional encounterId, then reads every
// order of context.draftOrders (R4 order types; others are skipped, pre-R4
// order types refused) with its codes. Throws fhir::JsonShapeError.
std::vector<cards::OrderUnderReview> read_draft_orders(const HookRequest& request);

}  // namespace crdex::hooks::detail
