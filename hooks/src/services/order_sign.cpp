// order-sign: coverage information for every draft order being signed
// (CDS Hooks order-sign 1.0; CRD primary hook, hook-16).

#include "crdex/hooks/service_descriptor.hpp"
#include "draft_orders.hpp"

namespace crdex::hooks {

namespace {

fhir::Result<std::vector<cards::OrderUnderReview>> order_sign_scope(const HookRequest& request) {
  try {
    return detail::read_draft_orders(request);
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
    detail::draft_order_prefetch(),
    order_sign_scope,
    HookRole::primary,
};

}  // namespace

const ServiceDescriptor& order_sign_service() { return kOrderSign; }

}  // namespace crdex::hooks
