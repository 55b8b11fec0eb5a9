#pragma once
// The front end's access gate: every route's AccessPolicy enforced before its
// handler runs (docs/security.md, "Who may call what").
//
// Credentials the gate knows:
//   - operators (--operators FILE): a name, the SHA-256 of a bearer token and
//     roles ("attachments", "bulk", "admin"), optionally the payers whose admin
//     views they may read. Only hashes are kept; comparison is constant-time;
//   - SMART Backend Services access tokens (--authorization-servers FILE):
//     crdex as a resource server verifies JWT access tokens (RFC 9068) from the
//     configured authorization servers: issuer, signature by a key of the
//     issuer's key set (same checks and key cache as the CDS client JWTs),
//     `aud` = crdex's base URL, `exp`, `nbf`, `iat`, and the scope the route
//     needs: system/<Type>.<c|r|s> (v1 .read/.write and wildcards understood);
//     opaque access tokens (and the JWTs of an issuer configured so) are
//     introspected at the issuer's endpoint (token_introspection.hpp) and
//     held to the same checks — only on the routes that take access tokens,
//     so no other credential is ever sent to an authorization server;
//   - the tokens the modules compare themselves (admin, CDex admin and client,
//     launch): the gate only needs to recognise them to answer 403 when one is
//     presented to a route of another kind.
//
// Decisions: public -> in. No credential -> 401. A credential the route does
// not take (another kind, a missing role or scope) -> 403. An access token
// that fails verification or is not active -> 401 with the reason; an
// introspection endpoint that cannot answer -> 503. Routes whose handlers
// compare their own token (publisher, launch, admin, data consumer's static
// token) are passed on when the credential is not one the gate recognises.
//
// Laptop mode (--insecure-no-client-auth): a route family with no credential
// configured at all (no operators, no authorization servers) is open, and the
// server logs each open family at start; a configured family is enforced.

#include <pistache/http.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_answer.hpp"
#include "client_registry.hpp"
#include "crdex/fhir/result.hpp"
#include "jwks_cache.hpp"
#include "route_table.hpp"
#include "token_introspection.hpp"

namespace crdex::server {

struct OperatorCredential {
  std::string name;
  std::string token_hash;  // "sha256:<hex>"
  std::vector<std::string> roles;
  std::vector<std::string> payers;  // empty: every payer
};

// {"operators": [{"name", "token_sha256": "<64 hex>", "roles": [...], "payers": [...]}]}
fhir::Result<std::vector<OperatorCredential>> parse_operators(std::string_view json);
fhir::Result<std::vector<OperatorCredential>> load_operators(const std::filesystem::path& file);

// A verified SMART Backend Services access token.
struct AccessToken {
  std::string issuer;
  std::string client;  // client_id, else sub
  std::vector<std::string> scopes;
};

// Whether `granted` (space-separated SMART scopes) allows `interaction`
// ('c', 'r', 's', ...) on `type` at system level.
bool scopes_allow(const std::vector<std::string>& granted, std::string_view type, char interaction);

class AccessTokenVerifier {
 public:
  using Now = std::function<int64_t()>;  // epoch seconds
  // `servers`: the authorization servers, one per issuer (the clients-file
  // format under "authorization_servers"); `audience`: crdex's base URL.
  AccessTokenVerifier(ClientRegistry servers, std::string audience, JwksFetch fetch = fetch_jwks_over_http,
                      Now now = {}, TokenIntrospector::Post post = fhir::perform_http_call);
  // The introspector refers to servers_: the verifier stays where it was made.
  AccessTokenVerifier(const AccessTokenVerifier&) = delete;
  AccessTokenVerifier& operator=(const AccessTokenVerifier&) = delete;

  // unavailable: an introspection endpoint could not answer (503).
  enum class Verdict { accepted, rejected, needs_fetch, not_ours, unavailable };
  struct Outcome {
    Verdict verdict = Verdict::rejected;
    std::string error;  // when rejected or unavailable
    AccessToken token;  // when accepted
    std::string introspection{};  // the introspection's result word, when one was made or cached
  };
  // not_ours: a JWT whose issuer is no configured authorization server, or a
  // token that is not a JWT when `may_introspect` is false or no authorization
  // server has an introspection endpoint.
  Outcome verify(std::string_view token, bool may_fetch, bool may_introspect = false) const;
  const std::string& audience() const { return audience_; }
  const ClientRegistry& servers() const { return servers_; }

 private:
  ClientRegistry servers_;
  std::string audience_;
  std::unique_ptr<JwksCache> keys_;
  Now now_;
  std::unique_ptr<TokenIntrospector> introspector_;
};

struct AccessGateConfig {
  std::vector<OperatorCredential> operators;
  std::shared_ptr<const AccessTokenVerifier> access_tokens;  // null: none configured
  // Hashes ("sha256:<hex>") of the tokens modules compare themselves, by kind
  // ("admin token", "CDex admin token", ...): recognised only to answer 403.
  std::vector<std::pair<std::string, std::string>> other_tokens;
  bool insecure_laptop_mode = false;  // --insecure-no-client-auth
};

class AccessGate {
 public:
  explicit AccessGate(AccessGateConfig config) : config_(std::move(config)) {}

  struct Decision {
    enum class Kind { allow, refuse, needs_fetch } kind = Kind::allow;
    ApiAnswer refusal;  // 401 / 403 OperationOutcome when refused
    Caller caller;      // when allowed
    std::string who;    // for the logs and the audit: the credential presented, never the token
    std::string introspection{};  // for crdex_token_introspections_total: the result word, if any
  };
  // `route` matched the request; the CDS client policy is not the gate's
  // (ClientAuthenticator) and is allowed here.
  Decision check(const Route& route, const Pistache::Http::Request& request, bool may_fetch) const;

  // Route families left open by laptop mode (for the start-up log).
  std::vector<std::string> open_families() const;
  const AccessGateConfig& config() const { return config_; }

 private:
  bool family_configured(AccessPolicy policy) const;
  const OperatorCredential* find_operator(std::string_view token) const;
  const std::string* other_kind(std::string_view token) const;
  AccessGateConfig config_;
};

}  // namespace crdex::server
