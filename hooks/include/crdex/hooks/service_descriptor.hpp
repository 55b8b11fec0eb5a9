#pragma once
// A CDS service: its discovery entry and the function that finds the resources
// it gives coverage information for. The descriptor sits beside its handler in
// src/services/<hook>.cpp; discovery is generated from the registry.

#include <span>
#include <string_view>
#include <vector>

#include "crdex/cards/order_under_review.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/hooks/hook_request.hpp"

namespace crdex::hooks {

// What the service does when a prefetch key is neither in the request nor
// fetchable from the EHR's FHIR server (as HAPI FHIR's CdsPrefetchFailureMode),
// declared next to the key so the rule is data, not code.
enum class PrefetchFailure {
  fail,               // the call fails: 412 + an OperationOutcome naming the key and why
  omit,               // the key stays absent; what needs it is answered without it
                      // (an order whose data is missing: indeterminate, reason technical)
  operation_outcome,  // the key holds an OperationOutcome saying why; the service goes on
};

struct PrefetchTemplate {
  std::string_view key;
  std::string_view query;  // CDS Hooks template with the CRD FHIRPath tokens
  PrefetchFailure on_failure = PrefetchFailure::omit;
};

// Validates the hook's context and returns the resources in scope, each with
// its codes (for an Appointment based on a ServiceRequest: the ServiceRequest).
using ScopeFunction = fhir::Result<std::vector<cards::OrderUnderReview>> (*)(const HookRequest&);

// CRD's primary hooks (order-sign, order-dispatch, appointment-book) always
// answer with coverage information (hook-16); secondary hooks (order-select,
// encounter-start, encounter-discharge) never ask for clinical or
// administrative documentation (hook-19).
enum class HookRole { primary, secondary };

struct ServiceDescriptor {
  std::string_view id;
  std::string_view hook;
  std::string_view title;
  std::string_view description;
  std::span<const PrefetchTemplate> prefetch;
  ScopeFunction orders_in_scope;
  HookRole role;
};

const ServiceDescriptor& order_sign_service();
const ServiceDescriptor& order_select_service();
const ServiceDescriptor& order_dispatch_service();
const ServiceDescriptor& appointment_book_service();
const ServiceDescriptor& encounter_start_service();
const ServiceDescriptor& encounter_discharge_service();

// Every service crdex offers, in discovery order.
std::span<const ServiceDescriptor* const> all_services();

// The service with `id`, or nullptr.
const ServiceDescriptor* find_service(std::string_view id);

}  // namespace crdex::hooks
