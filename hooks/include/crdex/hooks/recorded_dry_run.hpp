#pragma once
// The rules API's dry run against the payer's last N recorded hook calls (the
// audit log): each call is evaluated again with the live rules and with the
// candidate rule set, and the answer shows, per call and order, the coverage
// information crdex answered then, what the live rules answer now and what
// the candidate would answer.
//
// Recorded requests carry no fhirAuthorization (it is never stored), so a
// call whose prefetch crdex had fetched itself cannot be fetched again: both
// sides then answer 412 and the call shows no change.

#include <memory>
#include <string>
#include <string_view>

#include "crdex/hooks/audit_store.hpp"
#include "crdex/hooks/rule_publisher.hpp"

namespace crdex::hooks {

inline constexpr int kMaxRecordedDryRun = 500;

// The answer body (JSON), or why the candidate cannot be evaluated.
PublishResult<std::string> recorded_dry_run(const RulePublisher& publisher, hooks::AuditStore& audit,
                                            const std::string& payer_id, std::string_view rule_set, int count);

}  // namespace crdex::hooks
