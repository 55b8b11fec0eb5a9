// order-select: early coverage information for the orders just selected, while
// the clinician is still composing (CDS Hooks order-select 1.0; CRD secondary
// hook). Only the `selections` are assessed (CRD hook-34), and no clinical or
// administrative documentation is asked for yet (hook-19).

#include <algorithm>

#include "context_reading.hpp"
#include "crdex/fhir/reference.hpp"
#include "crdex/hooks/service_descriptor.hpp"
#include "draft_orders.hpp"

namespace crdex::hooks {

namespace {

fhir::Result<std::vector<cards::OrderUnderReview>> order_select_scope(const HookRequest& request) {
  try {
    auto drafts = detail::read_draft_orders(request);
    std::vector<cards::OrderUnderReview> selected;
    const auto selections = request.context.at("selections").items();
    if (selections.empty()) request.context.at("selections").fail("must name at least one selected order");
    for (const auto& selection : selections) {
      const auto parts = fhir::parse_reference(selection.as_non_empty_string());
      auto found = std::find_if(drafts.begin(), drafts.end(), [&](const cards::OrderUnderReview& order) {
        return order.resource_type == parts.type && order.id == parts.id;
      });
      if (found == drafts.end())
        selection.fail("is \"" + std::string(selection.as_string()) +
                       "\", which is not an order in context.draftOrders");
      detail::add_unique(selected, *found);
    }
    return selected;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

const ServiceDescriptor kOrderSelect{
    "crdex-order-select",
    "order-select",
    "Early coverage information for selected orders",
    "As orders are selected, tells the clinician early whether the payer covers them and whether prior "
    "authorization will be needed, so the choice can change before signing (Da Vinci CRD).",
    detail::draft_order_prefetch(),
    order_select_scope,
    HookRole::secondary,
};

}  // namespace

const ServiceDescriptor& order_select_service() { return kOrderSelect; }

}  // namespace crdex::hooks
