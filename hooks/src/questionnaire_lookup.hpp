#pragma once
// Before suggesting that the EHR create a payer's Questionnaire, crdex asks
// the EHR's FHIR server whether it already holds it (CRD dev-20); the create
// still carries `davinci-crd.if-none-exist` so the EHR only creates it when
// absent (dev-19), also when the query could not be made.

#include <span>
#include <string>
#include <vector>

#include "crdex/hooks/hook_request.hpp"
#include "crdex/hooks/prefetch_fill.hpp"

namespace crdex::hooks::detail {

// The searches ("url=<canonical>&version=<v>") for which
// `GET [fhirServer]/Questionnaire?<search>` found at least one Questionnaire.
// No fhirServer or token, a refused URL, or a failed query: not found.
std::vector<std::string> questionnaires_on_client(const HookRequest& request, std::span<const std::string> searches,
                                                  const PrefetchFillOptions& options);

}  // namespace crdex::hooks::detail
