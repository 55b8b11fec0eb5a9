#pragma once
// The SMART authorization-code flow with PKCE, client side (SM-05..07, SM-10):
// build the authorize URL, check what comes back to the redirect URI, and
// exchange the code for a token with the code verifier.
//
//   auto pending = begin_authorization(config, params);   // open pending->url
//   ... the user agent returns to redirect_uri?code=…&state=…
//   auto code = code_from_redirect(returned_url, *pending);
//   auto token = exchange_code(config, params, *code, *pending);

#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"
#include "crdex/smart/http_options.hpp"
#include "crdex/smart/smart_configuration.hpp"
#include "crdex/smart/token_response.hpp"

namespace crdex::smart {

struct AuthorizationParams {
  std::string client_id;
  std::string redirect_uri;
  std::string scope;   // space-separated; v1 permissions are sent as v2
  std::string aud;     // the FHIR base the token is for (= iss in an EHR launch)
  std::string launch;  // the EHR launch id; empty for a standalone launch
};

// What the app keeps between the authorize request and the redirect back:
// never sent anywhere but to the token endpoint (the verifier) or compared
// (the state).
struct PendingAuthorization {
  std::string url;            // the authorize request to open
  std::string state;          // 256 random bits (SMART asks for ≥ 122)
  std::string code_verifier;  // 43 characters of 256 random bits
};

// BASE64URL(SHA-256(verifier)), RFC 7636 §4.2.
std::string code_challenge_s256(std::string_view code_verifier);

// Checks the parameters and the server's configuration (an authorization
// endpoint, S256) and builds the request: response_type=code, client_id,
// redirect_uri, scope, state, aud, launch (when set), code_challenge and
// code_challenge_method=S256.
fhir::Result<PendingAuthorization> begin_authorization(const SmartConfiguration& configuration,
                                                       const AuthorizationParams& params);

// The code from the URL the authorization server redirected to. The state
// must be exactly the one sent (400 "state mismatch" otherwise, SM-06); an
// `error` parameter becomes an Error with the OAuth code.
fhir::Result<std::string> code_from_redirect(std::string_view redirect_url, const PendingAuthorization& pending);

// POSTs grant_type=authorization_code with the code, redirect_uri, client_id
// and code_verifier (a public client) and reads the token response.
fhir::Result<TokenResponse> exchange_code(const SmartConfiguration& configuration, const AuthorizationParams& params,
                                          std::string_view code, std::string_view code_verifier,
                                          const HttpOptions& options = {});

// The value of query parameter `name` in `url` (form-decoded), or "" when absent.
std::string query_parameter(std::string_view url, std::string_view name);

}  // namespace crdex::smart
