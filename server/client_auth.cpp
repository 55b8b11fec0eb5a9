#include "client_auth.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "bearer_token.hpp"
#include "crdex/smart/jwt.hpp"

namespace crdex::server {

namespace {

using Verdict = ClientAuthenticator::Verdict;
using Outcome = ClientAuthenticator::Outcome;

Outcome reject(std::string why) {
  return {Verdict::rejected, {401, fhir::IssueType::security, std::move(why), ""}, {}, {}};
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The claims that need no key; cheap, so they run before the signature.
std::optional<Outcome> check_claims(const smart::Jwt& jwt, const TrustedClient& client, std::string_view audience,
                                    const ClientAuthSettings& settings, int64_t now) {
  if (jwt.aud.empty()) return reject("the token has no \"aud\"");
  if (std::find(jwt.aud.begin(), jwt.aud.end(), audience) == jwt.aud.end())
    return reject("the token's \"aud\" is not the URL being called, " + std::string(audience));
  const int64_t skew = settings.clock_skew_seconds;
  if (!jwt.exp) return reject("the token has no \"exp\"");
  if (*jwt.exp + skew < now) return reject("the token has expired");
  if (*jwt.exp - now > settings.max_token_lifetime_seconds)
    return reject("the token's \"exp\" is more than " + std::to_string(settings.max_token_lifetime_seconds) +
                  " s ahead");
  if (!jwt.iat) return reject("the token has no \"iat\"");
  if (*jwt.iat - skew > now) return reject("the token's \"iat\" is in the future");
  if (jwt.nbf && *jwt.nbf - skew > now) return reject("the token is not valid yet (\"nbf\")");
  if (jwt.jti.empty()) return reject("the token has no \"jti\"");
  if (jwt.jti.size() > 256) return reject("the token's \"jti\" is longer than 256 characters");
  if (client.tenant && jwt.string_claim("tenant") != std::optional<std::string_view>(*client.tenant))
    return reject("the token's \"tenant\" is not the one configured for its issuer");
  return std::nullopt;
}

}  // namespace

ClientAuthenticator::ClientAuthenticator(ClientRegistry registry, JwksFetch fetch, Now now)
    : registry_(std::move(registry)),
      keys_(std::make_unique<JwksCache>(registry_.settings, std::move(fetch))),
      replays_(std::make_shared<ReplayCache>(registry_.settings.replay_cache_capacity)),
      now_(now ? std::move(now) : Now(system_now)) {}

Outcome ClientAuthenticator::authenticate(std::string_view authorization, std::string_view audience,
                                          bool may_fetch) const {
  if (authorization.empty()) return reject("this service requires an Authorization: Bearer JWT (CDS Hooks)");
  const auto token = bearer_token(authorization);
  if (!token) return reject("the Authorization header is not a Bearer token");
  auto parsed = smart::parse_jwt(*token);
  if (!parsed) return {Verdict::rejected, parsed.error(), {}, {}};
  const smart::Jwt& jwt = *parsed;

  // Refuse what no configuration can make acceptable before anything else.
  if (!jwt.algorithm) return reject("the token's algorithm \"" + jwt.alg + "\" is not accepted");
  if (jwt.typ.empty()) return reject("the token's header has no \"typ\"");
  if (!iequals(jwt.typ, "JWT")) return reject("the token's \"typ\" is not JWT");
  if (jwt.kid.empty()) return reject("the token's header has no \"kid\"");
  if (jwt.iss.empty()) return reject("the token has no \"iss\"");
  const TrustedClient* client = registry_.find(jwt.iss);
  if (!client) return reject("the token's issuer is not a configured client");
  if (std::find(client->algorithms.begin(), client->algorithms.end(), *jwt.algorithm) == client->algorithms.end())
    return reject("the token's algorithm \"" + jwt.alg + "\" is not accepted for this issuer");
  // A key configured for this client under the token's kid is pinned: it
  // verifies the token whatever jku the header names, and nothing is
  // fetched (the CDS Hooks Sandbox names its public jku; a payer without
  // outbound access configures the sandbox's key instead).
  const smart::Jwk* key = client->keys ? client->keys->find(jwt.kid) : nullptr;
  if (!key && !jwt.jku.empty() && !client->jku_allowed(jwt.jku))
    return reject("the token's \"jku\" is not on the issuer's allowlist");

  const int64_t now = now_();
  if (auto failed = check_claims(jwt, *client, audience, registry_.settings, now)) return *failed;

  // Otherwise the key: from the jku, else the out-of-band set, else the jwks_url.
  JwksCache::Lookup fetched;
  const std::string& url = !jwt.jku.empty() ? jwt.jku : (client->keys ? std::string() : client->jwks_url);
  if (!key) {
    if (url.empty()) return reject("the token's \"kid\" names no key of its issuer");
    fetched = keys_->find(url, jwt.kid, may_fetch);
    switch (fetched.status) {
      case JwksCache::Status::found: key = fetched.key; break;
      case JwksCache::Status::needs_fetch: return {Verdict::needs_fetch, {}, {}, {}};
      case JwksCache::Status::unknown_kid: return reject("the token's \"kid\" names no key of its issuer");
      case JwksCache::Status::unavailable: return reject("the issuer's key set is unavailable");
    }
  }
  if (auto bad = smart::verify_jwt_signature(jwt, *key, client->algorithms)) return {Verdict::rejected, *bad, {}, {}};

  // Only a verified token may take a place in the replay cache.
  const int64_t remember_until = *jwt.exp + registry_.settings.clock_skew_seconds;
  switch (replays_->remember(jwt.iss, jwt.jti, remember_until, now)) {
    case smart::JtiLedger::Outcome::fresh: break;
    case smart::JtiLedger::Outcome::replayed: return reject("the token's \"jti\" was already used (replay)");
    case smart::JtiLedger::Outcome::full:
      spdlog::error("the jti replay cache is full; refusing tokens until entries expire");
      return reject("the service cannot accept more tokens right now");
    case smart::JtiLedger::Outcome::unavailable:
      spdlog::error("the shared jti replay cache does not answer; refusing tokens");
      return reject("the service cannot accept more tokens right now");
  }
  return {Verdict::accepted, {}, jwt.iss, jwt.jti};
}

}  // namespace crdex::server
