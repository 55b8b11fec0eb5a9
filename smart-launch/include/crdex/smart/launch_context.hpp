#pragma once
// The EHR context a SMART app is launched with (SMART App Launch 2.2, EHR
// launch): who the patient is, which encounter, which user, the resources the
// app should open (fhirContext: the order, the Coverage, the Questionnaire
// canonical) and the CDS card link's appContext. The EHR's authorization
// server returns these in the token response; crdex keeps them behind an
// opaque launch id until then (launch_store.hpp).

#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"

namespace crdex::smart {

// One fhirContext item. SMART requires at least one of reference, canonical
// or identifier (crdex writes reference or canonical); `role` absent means
// "launch" and must never be the empty string (SM-12).
struct FhirContextItem {
  std::string reference;  // "ServiceRequest/123"
  std::string canonical;  // "http://payer.example.org/Questionnaire/x|1.0"
  std::string type;       // resource type, optional
  std::string role;       // optional, an absolute URI or a SMART role code

  bool operator==(const FhirContextItem&) const = default;
};

struct LaunchContext {
  std::string iss;        // the EHR's FHIR base URL (the app's `aud`)
  std::string app_url;    // where the app is launched (the card link's url)
  std::string client_id;  // when set, only this client may use the launch
  std::string patient;    // Patient id (SMART's `patient`: an id, not a reference)
  std::string encounter;  // Encounter id
  std::string user;       // "Practitioner/abc" (fhirUser)
  std::vector<FhirContextItem> fhir_context;
  std::string app_context;  // the card link's appContext, passed through verbatim

  bool operator==(const LaunchContext&) const = default;
};

// Checks what a launch needs: iss and app_url absolute http(s) URLs without a
// fragment, a patient id, fhirContext items with a reference or canonical
// and a role that is absent or non-empty. The Error names the field.
fhir::Result<LaunchContext> checked_launch_context(LaunchContext context);

// Reads a launch context from its JSON form (the launch API's body; the
// field names of the SMART token response plus iss, appUrl, clientId, user).
fhir::Result<LaunchContext> read_launch_context_json(std::string_view json);

// The JSON form read_launch_context_json() reads: `patient`, `encounter`,
// `fhirContext` and `appContext` as a token response carries them, plus
// `iss`, `appUrl`, `clientId`, `fhirUser`. Empty fields are left out.
std::string launch_context_json(const LaunchContext& context);

// `app_url` with `launch` and `iss` added to its query (an existing query is
// kept; a fragment stays at the end), both form-encoded (SM-04).
std::string launch_url(std::string_view app_url, std::string_view launch_id, std::string_view iss);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text);

// True for http:// or https:// URLs with a host (SM-03 "absolute URLs").
bool is_absolute_http_url(std::string_view url);

}  // namespace crdex::smart
