#pragma once
// Planning provider-initiated pushes (CDex P2, "push" in docs/rules.md): an
// event notification from the EHR — an encounter discharged, a result made
// final — plus the patient's Coverage and the resources the EHR offers is
// matched against the push rules of the payer the Coverage names. Each
// resource a rule selects becomes one PlannedPush: a ready, validated
// $submit-attachment Parameters for a named destination, with an idempotency
// key (event + subject + payer + rule + resource) so that the same event
// notified twice plans the same keys and is queued once.
//
// The event notification (docs/cdex.md, "Pushing on events"):
//   {"event": "encounter-discharge", "encounter": Encounter (status finished),
//    "coverage": Coverage, "organizationId" | "providerId": {system, value},
//    "trackingId"?: {system, value}, "resources": [DocumentReference, ...]}
//   {"event": "result-final", "result": DiagnosticReport | Observation (status final), ...same}
// Pure: no I/O, no clock but today's date for a missing service date.

#include <string>
#include <string_view>
#include <vector>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/fhir/result.hpp"

namespace crdex::config {

struct PlannedPush {
  std::string key;          // "<event>|<subject>|<payer>|<push id>|<what>": the idempotency key
  std::string event;        // "encounter-discharge"
  std::string subject;      // "Encounter/123": what happened
  std::string payer_id;
  std::string push_id;      // the payer's push rule
  std::string destination;  // a --destinations name
  std::string what;         // "DocumentReference/ds-1" (or "sha256:..." for a resource without id)
  std::string parameters;   // the $submit-attachment Parameters to send
};

struct PushPlan {
  std::string event;
  std::string subject;
  std::string payer_id;  // "" when the Coverage names no payer with rules here
  std::vector<PlannedPush> pushes;
  // Why a rule of the event planned nothing ("discharge-summary: no DocumentReference
  // of Encounter/123 with a matching type in the event").
  std::vector<std::string> notes;
};

// 400 (naming the member) for a malformed notification: unknown event, the
// encounter not finished / the result not final, no Coverage, no member id,
// no provider identifier. A Coverage of no payer served, or an inactive one,
// plans nothing (with a note).
fhir::Result<PushPlan> plan_pushes(const RuleCatalog& catalog, std::string_view event_json);

}  // namespace crdex::config
