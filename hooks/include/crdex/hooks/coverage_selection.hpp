#pragma once
// Finds the member's Coverage in the request's prefetch and the payer it
// belongs to (CRD hook-13: none, several, or another payer's -> 400).

#include <simdjson.h>

#include <string>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/hooks/hook_request.hpp"

namespace crdex::hooks {

struct SelectedCoverage {
  std::string reference;  // "Coverage/<id>" on the EHR's FHIR server
  const config::PayerRuleSet* payer = nullptr;
  // Non-empty when the Coverage is not active (status, or period ended): every
  // order is then not-covered with reason no-active-coverage (CRD resp-45).
  std::string inactive_because;
  simdjson::dom::element resource;  // the Coverage itself (class, type: rule conditions)
  // When the payer publishes member records (config::MemberRecords) and they
  // decide every order's answer: the CRD reason code (no-member-found,
  // no-active-coverage, coverage-not-found; resp-44/45) and why. Empty otherwise.
  std::string membership_reason;
  std::string membership_explanation;
  // The payer's record of this Coverage, when its member records match it:
  // what Update Coverage Records compares the EHR's Coverage with.
  const config::MemberCoverage* payer_record = nullptr;
};

// The `coverage` prefetch key may hold a Coverage or a Bundle of them. A key
// that is absent or holds an OperationOutcome means the data could not be
// obtained: 412 (CDS Hooks), until crdex queries the EHR itself.
fhir::Result<SelectedCoverage> select_coverage(const HookRequest& request, const config::RuleCatalog& catalog,
                                               std::string_view today);

}  // namespace crdex::hooks
