#pragma once
// The SMART discovery client: fetches `{fhir base}/.well-known/smart-configuration`
// and checks it as SMART App Launch 2.2 requires (SM-01..03): token_endpoint,
// grant_types_supported, capabilities and code_challenge_methods_supported
// (with S256, without plain) present; authorization_endpoint when a launch
// capability is advertised; issuer and jwks_uri with sso-openid-connect; every
// endpoint an absolute URL.

#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/smart/http_options.hpp"

namespace crdex::smart {

struct SmartConfiguration {
  std::string issuer;
  std::string jwks_uri;
  std::string authorization_endpoint;  // empty when no launch capability
  std::string token_endpoint;
  std::string introspection_endpoint;
  std::string revocation_endpoint;
  std::string registration_endpoint;
  std::string management_endpoint;
  std::vector<std::string> grant_types_supported;
  std::vector<std::string> capabilities;
  std::vector<std::string> code_challenge_methods_supported;
  std::vector<std::string> scopes_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> token_endpoint_auth_signing_alg_values_supported;

  bool has_capability(std::string_view capability) const;
  bool supports_grant(std::string_view grant_type) const;
};

// Parses and checks a smart-configuration document. The Error (502: the
// server's document is wrong) names the offending field.
fhir::Result<SmartConfiguration> parse_smart_configuration(std::string_view json);

// GETs `fhir_base`/.well-known/smart-configuration (a trailing '/' on the base
// is fine) and parses it. The answer must be 200 and application/json.
fhir::Result<SmartConfiguration> fetch_smart_configuration(std::string_view fhir_base,
                                                           const HttpOptions& options = {});

}  // namespace crdex::smart
