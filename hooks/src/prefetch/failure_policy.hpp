#pragma once
// Each prefetch template's failure policy (service_descriptor.hpp), applied to
// the keys a fill could not fetch. The one place that decides what a missing
// key means: the descriptors say which keys are required (Coverage: fail ->
// 412), which may be missing (omit), and which become an OperationOutcome.

#include <optional>
#include <span>

#include "crdex/fhir/result.hpp"
#include "crdex/hooks/prefetch_fill.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks::detail {

// Puts an OperationOutcome saying why into `filled` for every unfetched key
// whose template says operation_outcome, and returns the 412 Error for the
// first unfetched key whose template says fail (nullopt: the call goes on).
std::optional<fhir::Error> apply_prefetch_failure_policy(std::span<const PrefetchTemplate> templates,
                                                         FilledPrefetch& filled);

}  // namespace crdex::hooks::detail
