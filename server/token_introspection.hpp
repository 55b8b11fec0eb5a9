#pragma once
// Opaque access tokens introspected per RFC 7662 (docs/security.md, "Opaque
// access tokens"): crdex as a resource server asks the authorization server
// that issued a token whether it is active, at the introspection endpoint
// named in the file of --authorization-servers, authenticating as its own
// client there (client_secret_basic or private_key_jwt).
//
// The call: POST token=...&token_type_hint=access_token to the configured
// URL only, through the one outgoing HTTP client (no redirects, TLS verified),
// 3 s time-out, answer at most 64 KiB. An active answer is held to what a JWT
// access token is held to: `iss` the entry's issuer, `aud` includes crdex's
// base URL, `exp` present and not past (`nbf`, `iat` not ahead), no `cnf`
// (crdex takes bearer tokens only); `scope` and `client_id` (else `sub`) are
// what the gate then checks and names.
//
// An accepted answer is cached until min(exp, introspection_cache_seconds)
// under the token's SHA-256 — never the token itself, which is never logged
// either. Inactive answers are not cached. An endpoint that cannot answer
// (refused, timed out, not 200, not JSON) is "unavailable": the gate answers
// 503, not 401, since the token may well be good.
//
// Like the key-set fetch, a call never happens on an event thread: with
// may_fetch false a token not in the cache answers needs_fetch and the front
// end asks again on a worker.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client_registry.hpp"
#include "crdex/fhir/http_client.hpp"

namespace crdex::server {

// What an active, accepted introspection answer says about its token.
struct IntrospectedToken {
  std::string issuer;
  std::string client;  // client_id, else sub
  std::vector<std::string> scopes;
  int64_t exp = 0;  // epoch seconds
};

class TokenIntrospector {
 public:
  using Now = std::function<int64_t()>;  // epoch seconds
  using Post = std::function<fhir::HttpAnswer(const fhir::HttpCall&)>;
  // `servers` must outlive the introspector (the verifier owns both);
  // `audience`: crdex's base URL, without a trailing '/'.
  TokenIntrospector(const ClientRegistry& servers, std::string audience, Now now,
                    Post post = fhir::perform_http_call);

  enum class Verdict { accepted, inactive, rejected, unavailable, needs_fetch };
  struct Outcome {
    Verdict verdict = Verdict::inactive;
    std::string error;  // why, when not accepted (safe to show: never the token, nor an endpoint's failure detail)
    IntrospectedToken token;
    // For crdex_token_introspections_total: "cached", "active", "inactive",
    // "rejected" or "error"; empty when no call was needed (needs_fetch).
    std::string result;
  };
  // `only`: the issuer whose endpoint to ask (a JWT's); null: each
  // configured endpoint in turn until one says active.
  Outcome introspect(std::string_view token, const TrustedClient* only, bool may_fetch) const;

  // Whether any authorization server has an introspection endpoint.
  bool configured() const;

 private:
  struct Cached {
    IntrospectedToken token;
    int64_t until = 0;  // epoch seconds
  };
  Outcome ask(const TrustedClient& server, std::string_view token) const;
  Outcome check_answer(const TrustedClient& server, std::string_view body) const;
  std::string client_assertion(const IntrospectionEndpoint& endpoint) const;

  const ClientRegistry& servers_;
  std::string audience_;
  Now now_;
  Post post_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, Cached, std::less<>> cache_;  // by "sha256:<hex>" of the token
};

}  // namespace crdex::server
