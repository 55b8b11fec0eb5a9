#pragma once
// The SMART Backend Services client (SM-14, SM-15): crdex, acting for a payer,
// gets an access token for an EHR's FHIR server with the client_credentials
// grant, authenticating with a private_key_jwt assertion signed by one of its
// own keys (RS384 or ES384). The token is cached until shortly before it
// expires; bearer_token() is what Direct Query / CDex call.
//
// The public halves of the keys are served by crdex-server as a JWKS
// (--jwks-path) so the EHR's authorization server can verify the assertions.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"
#include "crdex/smart/http_options.hpp"
#include "crdex/smart/jwk.hpp"
#include "crdex/smart/signing_key.hpp"
#include "crdex/smart/token_response.hpp"

namespace crdex::smart {

struct BackendServicesConfig {
  std::string token_url;  // the token endpoint (from smart-configuration); also the assertion's aud
  std::string client_id;  // registered with the EHR; the assertion's iss and sub
  std::string scope;      // system/ scopes, e.g. "system/Patient.rs system/Coverage.rs"
  SigningKey key;
  JwsAlgorithm algorithm = JwsAlgorithm::RS384;  // RS384 or ES384, fitting `key`
  std::string jku;  // optional: our JWKS URL, sent in the header when set
  // SMART: exp no more than five minutes ahead.
  std::chrono::seconds assertion_lifetime{300};
  // A cached token is renewed this long before its expiry.
  std::chrono::seconds renew_before{30};
};

class BackendServicesClient {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // Checks the configuration: an absolute token URL (https, or http to
  // loopback unless allowed), a client id, system/ scopes only, a key that
  // fits RS384 or ES384, an assertion lifetime of 1..300 s. `clock` decides
  // when a cached token is due for renewal (tests move it by hand).
  static fhir::Result<BackendServicesClient> create(BackendServicesConfig config, HttpOptions options = {},
                                                    Clock clock = std::chrono::system_clock::now);

  // A valid access token: the cached one while it has more than
  // renew_before left, else a new one. Thread-safe; one request at a time.
  fhir::Result<std::string> bearer_token();

  // Always asks the token endpoint (with a new assertion).
  fhir::Result<TokenResponse> request_token();

  // The signed assertion for `now`: {iss, sub, aud, iat, exp = now + lifetime,
  // jti = 256 random bits}.
  fhir::Result<std::string> client_assertion(std::chrono::system_clock::time_point now) const;

  // Sends a token request with the given assertion (tests send stale or
  // replayed ones through this).
  fhir::Result<TokenResponse> request_token_with(std::string_view assertion) const;

  BackendServicesClient(BackendServicesClient&& other) noexcept;

 private:
  BackendServicesClient(BackendServicesConfig config, HttpOptions options, Clock clock)
      : config_(std::move(config)), options_(options), clock_(std::move(clock)) {}

  BackendServicesConfig config_;
  HttpOptions options_;
  Clock clock_;
  std::mutex mutex_;
  std::string cached_token_;
  std::chrono::system_clock::time_point cached_until_{};
};

}  // namespace crdex::smart
