#pragma once
// A token endpoint's answer (RFC 6749 §5.1 plus SMART's launch context,
// SM-10..12): the access token and, for an EHR launch, the patient, encounter,
// fhirContext and appContext the EHR established. An OAuth error answer
// (RFC 6749 §5.2) becomes an Error whose message starts with the OAuth error
// code, e.g. "invalid_grant: …", and whose expression is that code.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/smart/launch_context.hpp"

namespace crdex::smart {

struct TokenResponse {
  std::string access_token;
  std::string token_type;  // "Bearer"
  std::string scope;
  int64_t expires_in = 0;  // seconds; 0 when the server did not say
  std::string refresh_token;
  std::string id_token;
  std::string patient;
  std::string encounter;
  std::vector<FhirContextItem> fhir_context;
  std::string app_context;
  bool need_patient_banner = false;
  // Whether the answer carried Cache-Control: no-store and Pragma: no-cache.
  bool no_store = false;
};

// Reads a 200 answer body; requires access_token and token_type Bearer, and
// checks fhirContext items (a reference, canonical or identifier each, no
// empty role).
fhir::Result<TokenResponse> parse_token_response(std::string_view json);

// The Error for a non-200 token endpoint answer (`status`, body).
fhir::Error token_error(long status, std::string_view body);

}  // namespace crdex::smart
