#pragma once
// The EHR's choices for this call (request `extension.davinci-crd.configuration`,
// CRD dev-12..17): which response types it wants and how many cards at most.
// Absent or unknown settings fall back to the defaults discovery advertises;
// settings of the wrong JSON type are ignored (dev-6, dev-17).

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace crdex::hooks {

inline constexpr int kDefaultMaxCards = 10;

// The Da Vinci CRD version this build implements: discovery's
// davinci-crd.version and the only davinci-crd.requestedVersion accepted.
inline constexpr std::string_view kCrdVersion = "2.2";

struct CrdConfiguration {
  bool coverage_info = true;
  int max_cards = kDefaultMaxCards;
  std::vector<std::string> disabled_card_types;  // topics switched off (`"guideline": false`)
  // "crdex-rule-trace": true asks for the rule evaluation trace; honoured only
  // when the service runs with tracing allowed (crdex-server --allow-rule-trace).
  bool rule_trace = false;
  // "crdex-smart-launch": true asks crdex to turn the cards' SMART links into
  // launch URLs bound to this call's context (when the service has a launcher).
  bool smart_launch = false;

  bool card_type_enabled(std::string_view topic) const;
};

// Reads `extension["davinci-crd.configuration"]` of a request root object.
CrdConfiguration read_crd_configuration(simdjson::dom::element request_root);

}  // namespace crdex::hooks
