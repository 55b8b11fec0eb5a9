#pragma once
// Which FHIR servers a CDS client may send crdex to (issue 17, point 2). A
// hook call's `fhirServer` is where crdex sends its prefetch queries, with
// the call's access token: left open, any client holding a signing key could
// make crdex call any URL. So a call from an authenticated client may name
// only:
//   - a base URL its registration lists in "fhir_servers" (exactly, trailing
//     '/' ignored, scheme and host case-insensitive), or
//   - when its registration has no "fhir_servers", a URL on the origin of the
//     client's own `iss` (same scheme, host and port): a JWT's issuer can send
//     crdex only to its own EHR.
// Anything else gets 403 with an OperationOutcome before the engine runs, so
// no outbound request is made. "fhir_servers": [] allows no fhirServer at all
// (the client must send its prefetch). Without client authentication (laptop
// mode) there is no client to ask, and only the outbound guard applies.

#include <optional>
#include <string>
#include <string_view>

#include "api_answer.hpp"
#include "client_registry.hpp"

namespace crdex::server {

// "scheme://host[:port]" of an http(s) URL, lower-cased, default port (80 /
// 443) dropped; "" when `url` is not an absolute http(s) URL.
std::string url_origin(std::string_view url);

// The URL with its origin normalised (url_origin) and trailing '/' removed;
// "" when it is not an absolute http(s) URL.
std::string normalised_base_url(std::string_view url);

// True when `client` may name `fhir_server`.
bool fhir_server_allowed(const TrustedClient& client, std::string_view fhir_server);

// The top-level "fhirServer" string of a hook request body; nullopt when the
// body is not a JSON object or has no string fhirServer (the engine reports
// a malformed request itself).
std::optional<std::string> named_fhir_server(std::string_view body);

// 403 + OperationOutcome when the body names a fhirServer `client` may not
// name; nullopt when the call may go on.
std::optional<ApiAnswer> refuse_unlisted_fhir_server(const TrustedClient& client, std::string_view body);

}  // namespace crdex::server
