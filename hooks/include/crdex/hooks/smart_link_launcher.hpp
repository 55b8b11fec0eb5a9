#pragma once
// SmartLinkLauncher: turns a card's `smart` link into a ready launch URL bound
// to the hook's context, for EHRs that let crdex keep their launch contexts
// (docs/smart.md). The engine asks it only when the request's
// davinci-crd.configuration says "crdex-smart-launch": true and a launcher is
// set (crdex-server sets one when the launch API is on). The hooks layer only
// knows this interface; crdex-server implements it with smart::LaunchStore.

#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"

namespace crdex::hooks {

struct SmartLinkContext {
  std::string_view app_url;      // the card link's url
  std::string_view app_context;  // the card link's appContext
  std::string_view fhir_server;  // the request's fhirServer: the launch's iss
  std::string_view patient_id;   // context.patientId
  std::string_view encounter_id; // context.encounterId, may be empty
  std::string_view user_id;      // context.userId, e.g. "Practitioner/123"
  std::string order_reference;   // the order the card is about, "ServiceRequest/123"
  std::string coverage_reference;             // "Coverage/abc"
  std::vector<std::string> questionnaires;    // canonical URLs the payer named
};

class SmartLinkLauncher {
 public:
  virtual ~SmartLinkLauncher() = default;
  // The URL that opens the app with a new launch for `context`
  // (app?launch=…&iss=…), or why not (the link is then left as it was).
  virtual fhir::Result<std::string> launch_url(const SmartLinkContext& context) const = 0;
};

}  // namespace crdex::hooks
