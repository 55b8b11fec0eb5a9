#pragma once
// CDS client authentication (CDS Hooks 2.0 §Trusting CDS Clients): every
// service call carries `Authorization: Bearer <JWT>` signed by a configured
// client, and crdex checks it before reading the request.
//
// The checks, in order: a Bearer JWT no larger than 16 KiB; header `alg` in
// the allowlist (never none or HMAC), `typ` JWT, `kid` present; `iss` a
// configured client; `jku`, when given and the client's own key set has no
// key under `kid`, on that client's allowlist; `aud` the
// URL being called (string or array); `exp` (not past, at most
// max_token_lifetime ahead), `iat` (not in the future), `nbf`, each with the
// clock skew; `jti` present; `tenant` when the client has one; the signature
// with the key named by `kid` (a configured key under that kid is pinned: it
// is used whatever `jku` says, and nothing is fetched); and last, `jti` not seen before for this
// issuer. Keys are parsed once and cached; see JwksCache for fetching.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "client_registry.hpp"
#include "crdex/fhir/result.hpp"
#include "jwks_cache.hpp"
#include "replay_cache.hpp"

namespace crdex::server {

class ClientAuthenticator {
 public:
  using Now = std::function<int64_t()>;  // epoch seconds
  explicit ClientAuthenticator(ClientRegistry registry, JwksFetch fetch = fetch_jwks_over_http, Now now = {});

  enum class Verdict { accepted, rejected, needs_fetch };
  struct Outcome {
    Verdict verdict = Verdict::rejected;
    fhir::Error error;   // when rejected: 401, what failed (no key material)
    std::string issuer;  // when accepted
    std::string jti;     // when accepted: held in the replay ledger until settle()
  };

  // `authorization` is the Authorization header ("" when absent); `audience`
  // the full URL of the endpoint being called. With may_fetch false (an event
  // thread) a key set that must be fetched first gives needs_fetch: call
  // again where blocking is fine.
  Outcome authenticate(std::string_view authorization, std::string_view audience, bool may_fetch) const;

  // The accepted call of (issuer, jti) is being answered; `answered` false
  // when it was refused before any work (429, 503), so that the same token
  // may be retried (smart::JtiLedger::settle).
  void settle(const std::string& issuer, const std::string& jti, bool answered) const {
    replays_->settle(issuer, jti, answered);
  }

  // Replaces the in-process replay cache with a ledger replicas share
  // (PostgreSQL); call before serving.
  void share_replay_ledger(std::shared_ptr<smart::JtiLedger> ledger) { replays_ = std::move(ledger); }

  const ClientRegistry& registry() const { return registry_; }
  int key_set_fetches() const { return keys_->fetches(); }

 private:
  ClientRegistry registry_;
  std::unique_ptr<JwksCache> keys_;
  std::shared_ptr<smart::JtiLedger> replays_;
  Now now_;
};

}  // namespace crdex::server
