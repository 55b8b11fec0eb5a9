#include "access_gate.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "api_helpers.hpp"
#include "scope_list.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/scopes.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

bool gate_hash_equals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

int64_t gate_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ApiAnswer gate_refusal(int status, std::string message, std::string_view challenge) {
  ApiAnswer answer = problem_answer(status, fhir::IssueType::security, std::move(message));
  answer.headers.emplace_back("WWW-Authenticate", std::string(challenge));
  return answer;
}

// The resource type and interaction a system-to-system route needs:
// POST creates (c); GET of one resource (pattern ends in a parameter or a
// part of one) reads (r); GET of a collection searches (s).
char interaction_of(const Route& route) {
  if (route.method == Http::Method::Post) return 'c';
  return route.pattern.find('{') == std::string::npos ? 's' : 'r';
}

}  // namespace

fhir::Result<std::vector<OperatorCredential>> parse_operators(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure, "not JSON", ""};
  try {
    const fhir::JsonNode top(root, "$");
    top.expect_object();
    std::vector<OperatorCredential> out;
    const auto list = top.at("operators");
    for (const auto& node : list.items()) {
      node.expect_object();
      OperatorCredential op;
      op.name = node.at("name").as_non_empty_string();
      std::string hash(node.at("token_sha256").as_non_empty_string());
      if (hash.starts_with("sha256:")) hash.erase(0, 7);
      std::transform(hash.begin(), hash.end(), hash.begin(), [](unsigned char c) { return std::tolower(c); });
      if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        node.at("token_sha256").fail("must be the 64 hex digits of the token's SHA-256 (sha256sum)");
      op.token_hash = "sha256:" + hash;
      for (const auto& role : node.at("roles").items()) {
        const std::string name(role.as_non_empty_string());
        if (name != "attachments" && name != "bulk" && name != "admin")
          role.fail("is not a role (attachments, bulk, admin)");
        op.roles.push_back(name);
      }
      if (const auto payers = node.find("payers"))
        for (const auto& payer : payers->items()) op.payers.emplace_back(payer.as_non_empty_string());
      for (const auto& seen : out)
        if (seen.token_hash == op.token_hash || seen.name == op.name)
          node.fail("repeats the name or token of operator " + seen.name);
      out.push_back(std::move(op));
    }
    if (out.empty()) list.fail("lists no operator");
    return out;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

fhir::Result<std::vector<OperatorCredential>> load_operators(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return fhir::Error{400, fhir::IssueType::not_found, file.string() + ": cannot read the operators file", ""};
  auto parsed = parse_operators(text.str());
  if (!parsed) return fhir::Error{400, parsed.error().type, file.string() + ": " + parsed.error().message, ""};
  return parsed;
}

bool scopes_allow(const std::vector<std::string>& granted, std::string_view type, char interaction) {
  for (const auto& raw : granted) {
    auto scope = smart::normalize_scope(raw);
    if (!scope || !scope->starts_with("system/")) continue;
    const std::string_view rest = std::string_view(*scope).substr(7);
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) continue;
    const auto scope_type = rest.substr(0, dot);
    auto permissions = rest.substr(dot + 1);
    permissions = permissions.substr(0, permissions.find('?'));  // a granular scope still names its permissions
    if ((scope_type == type || scope_type == "*") && permissions.find(interaction) != std::string_view::npos)
      return true;
  }
  return false;
}

AccessTokenVerifier::AccessTokenVerifier(ClientRegistry servers, std::string audience, JwksFetch fetch, Now now,
                                         TokenIntrospector::Post post)
    : servers_(std::move(servers)),
      audience_(std::move(audience)),
      keys_(std::make_unique<JwksCache>(servers_.settings, std::move(fetch))),
      now_(now ? std::move(now) : Now(gate_now)) {
  while (audience_.size() > 1 && audience_.back() == '/') audience_.pop_back();
  introspector_ = std::make_unique<TokenIntrospector>(servers_, audience_, now_, std::move(post));
}

namespace {

AccessTokenVerifier::Outcome from_introspection(TokenIntrospector::Outcome asked) {
  using V = AccessTokenVerifier::Verdict;
  using I = TokenIntrospector::Verdict;
  AccessTokenVerifier::Outcome out;
  out.introspection = std::move(asked.result);
  out.error = std::move(asked.error);
  switch (asked.verdict) {
    case I::accepted:
      out.verdict = V::accepted;
      out.token = {std::move(asked.token.issuer), std::move(asked.token.client), std::move(asked.token.scopes)};
      break;
    case I::needs_fetch: out.verdict = V::needs_fetch; break;
    case I::unavailable: out.verdict = V::unavailable; break;
    case I::inactive:
    case I::rejected: out.verdict = V::rejected; break;
  }
  return out;
}

}  // namespace

AccessTokenVerifier::Outcome AccessTokenVerifier::verify(std::string_view token, bool may_fetch,
                                                         bool may_introspect) const {
  using V = Verdict;
  const bool introspecting = may_introspect && introspector_->configured();
  std::optional<smart::Jwt> parsed;
  if (std::count(token.begin(), token.end(), '.') == 2)
    if (auto jwt = smart::parse_jwt(token)) parsed = std::move(jwt).value();
  if (!parsed) {  // opaque: only its authorization server can say what it is
    if (!introspecting) return {V::not_ours, {}, {}};
    return from_introspection(introspector_->introspect(token, nullptr, may_fetch));
  }
  const smart::Jwt& jwt = *parsed;
  const TrustedClient* server = servers_.find(jwt.iss);
  if (!server) return {V::not_ours, {}, {}};
  if (server->introspection && (server->introspection->jwts || !server->has_keys())) {
    if (!may_introspect) return {V::not_ours, {}, {}};
    return from_introspection(introspector_->introspect(token, server, may_fetch));
  }
  auto reject = [](std::string why) { return Outcome{V::rejected, std::move(why), {}}; };
  if (!jwt.algorithm) return reject("the access token's algorithm \"" + jwt.alg + "\" is not accepted");
  if (std::find(server->algorithms.begin(), server->algorithms.end(), *jwt.algorithm) == server->algorithms.end())
    return reject("the access token's algorithm \"" + jwt.alg + "\" is not accepted for its issuer");
  if (jwt.kid.empty()) return reject("the access token's header has no \"kid\"");
  if (!jwt.jku.empty() && !server->jku_allowed(jwt.jku))
    return reject("the access token's \"jku\" is not on its issuer's allowlist");
  bool audience_ok = false;
  for (std::string_view aud : jwt.aud) {
    while (aud.size() > 1 && aud.back() == '/') aud.remove_suffix(1);
    audience_ok = audience_ok || aud == audience_;
  }
  if (!audience_ok) return reject("the access token's \"aud\" is not this server, " + audience_);
  const int64_t now = now_(), skew = servers_.settings.clock_skew_seconds;
  if (!jwt.exp) return reject("the access token has no \"exp\"");
  if (*jwt.exp + skew < now) return reject("the access token has expired");
  if (jwt.iat && *jwt.iat - skew > now) return reject("the access token's \"iat\" is in the future");
  if (jwt.nbf && *jwt.nbf - skew > now) return reject("the access token is not valid yet (\"nbf\")");

  const smart::Jwk* key = nullptr;
  JwksCache::Lookup fetched;
  const std::string& url = !jwt.jku.empty() ? jwt.jku : (server->keys ? std::string() : server->jwks_url);
  if (url.empty()) {
    if (!server->keys) return reject("the access token names no \"jku\" and its issuer has no key set configured");
    key = server->keys->find(jwt.kid);
    if (!key) return reject("the access token's \"kid\" names no key of its issuer");
  } else {
    fetched = keys_->find(url, jwt.kid, may_fetch);
    switch (fetched.status) {
      case JwksCache::Status::found: key = fetched.key; break;
      case JwksCache::Status::needs_fetch: return {V::needs_fetch, {}, {}};
      case JwksCache::Status::unknown_kid: return reject("the access token's \"kid\" names no key of its issuer");
      case JwksCache::Status::unavailable: return reject("the issuer's key set is unavailable");
    }
  }
  if (auto bad = smart::verify_jwt_signature(jwt, *key, server->algorithms))
    return reject("the access token's signature: " + bad->message);
  Outcome out{V::accepted, {}, {}};
  out.token.issuer = jwt.iss;
  out.token.client = std::string(jwt.string_claim("client_id").value_or(jwt.sub));
  out.token.scopes = split_scope_list(jwt.string_claim("scope").value_or(""));
  return out;
}

bool AccessGate::family_configured(AccessPolicy policy) const {
  auto has_role = [this](std::string_view role) {
    return std::any_of(config_.operators.begin(), config_.operators.end(), [role](const OperatorCredential& op) {
      return std::find(op.roles.begin(), op.roles.end(), role) != op.roles.end();
    });
  };
  auto has_token = [this](std::string_view kind) {
    return std::any_of(config_.other_tokens.begin(), config_.other_tokens.end(),
                       [kind](const auto& known) { return known.first == kind; });
  };
  switch (policy) {
    case AccessPolicy::provider_system: return config_.access_tokens != nullptr;
    case AccessPolicy::operator_attachments: return has_role("attachments");
    case AccessPolicy::operator_bulk: return has_role("bulk");
    case AccessPolicy::data_consumer: return config_.access_tokens != nullptr || has_token("CDex client token");
    case AccessPolicy::admin: return has_role("admin") || has_token("admin token") || has_token("CDex admin token");
    default: return true;  // publisher, launch: the module refuses without its token anyway
  }
}

std::vector<std::string> AccessGate::open_families() const {
  std::vector<std::string> open;
  if (!config_.insecure_laptop_mode) return open;
  for (auto policy : {AccessPolicy::provider_system, AccessPolicy::operator_attachments, AccessPolicy::operator_bulk})
    if (!family_configured(policy)) open.emplace_back(access_policy_name(policy));
  return open;
}

const OperatorCredential* AccessGate::find_operator(std::string_view token) const {
  if (config_.operators.empty()) return nullptr;
  const std::string hash = config::sha256_checksum(token);
  const OperatorCredential* found = nullptr;
  for (const auto& op : config_.operators)  // every entry compared: the time does not say which matched
    if (gate_hash_equals(hash, op.token_hash)) found = &op;
  return found;
}

const std::string* AccessGate::other_kind(std::string_view token) const {
  if (config_.other_tokens.empty()) return nullptr;
  const std::string hash = config::sha256_checksum(token);
  const std::string* found = nullptr;
  for (const auto& [kind, known] : config_.other_tokens)
    if (gate_hash_equals(hash, known)) found = &kind;
  return found;
}

AccessGate::Decision AccessGate::check(const Route& route, const Http::Request& request, bool may_fetch) const {
  using K = Decision::Kind;
  const AccessPolicy policy = route.policy;
  if (policy == AccessPolicy::public_access) return {};
  // A loopback peer needs no credential for /metrics: its handler decides (metrics_api.hpp).
  if (policy == AccessPolicy::metrics) return {};
  if (policy == AccessPolicy::cds_client) {
    // The CDS Hooks JWT is the client authenticator's; here only a credential
    // of another kind that the gate recognises is turned away (403).
    const std::string token = bearer_token_of(request);
    if (token.empty() || token.find('.') != std::string::npos) return {};
    const OperatorCredential* op = find_operator(token);
    const std::string* other = op ? nullptr : other_kind(token);
    if (!op && !other) return {};
    const std::string who = op ? "operator " + op->name : *other;
    return {K::refuse,
            gate_refusal(403, "CDS services need a CDS client's JWT; the credential presented is a " +
                                  (op ? std::string("operator token") : who),
                         R"(Bearer realm="crdex", error="insufficient_scope")"),
            {}, who};
  }
  if (config_.insecure_laptop_mode && !family_configured(policy)) return {};
  constexpr std::string_view kRealm = R"(Bearer realm="crdex")";
  constexpr std::string_view kInvalid = R"(Bearer realm="crdex", error="invalid_token")";
  constexpr std::string_view kScope = R"(Bearer realm="crdex", error="insufficient_scope")";
  const std::string token = bearer_token_of(request);
  if (token.empty())
    return {K::refuse,
            gate_refusal(401, "this endpoint needs a credential (" + std::string(access_policy_name(policy)) +
                                  "): Authorization: Bearer <token>",
                         kRealm),
            {}, "no credential"};

  // Who is it? An operator, an access token of a configured authorization server, or a module's token.
  // A credential the gate knows (an operator's, a module's) is never
  // verified as an access token, so never sent to an introspection endpoint;
  // nor is any token on a route that does not take access tokens.
  const OperatorCredential* op = find_operator(token);
  const std::string* other = op ? nullptr : other_kind(token);
  const bool takes_access_tokens = policy == AccessPolicy::provider_system || policy == AccessPolicy::data_consumer;
  AccessTokenVerifier::Outcome access;
  access.verdict = AccessTokenVerifier::Verdict::not_ours;
  if (!op && !other && config_.access_tokens)
    access = config_.access_tokens->verify(token, may_fetch, takes_access_tokens);
  using AV = AccessTokenVerifier::Verdict;
  if (access.verdict == AV::needs_fetch) return {K::needs_fetch, {}, {}, {}};
  if (access.verdict == AV::rejected)
    return {K::refuse, gate_refusal(401, access.error, kInvalid), {}, "access token", access.introspection};
  if (access.verdict == AV::unavailable) {
    ApiAnswer answer = problem_answer(503, fhir::IssueType::transient, access.error);
    answer.headers.emplace_back("Retry-After", "5");
    return {K::refuse, std::move(answer), {}, "access token", access.introspection};
  }
  const std::string who = op ? "operator " + op->name
                          : access.verdict == AV::accepted
                              ? "access token of " + access.token.client + " (" + access.token.issuer + ")"
                          : other ? *other
                                  : "unrecognised token";
  auto wrong_kind = [&] {
    return Decision{K::refuse,
                    gate_refusal(403,
                                 "this endpoint needs a " + std::string(access_policy_name(policy)) +
                                     "; the credential presented is a " + (op ? "operator token" : who),
                                 kScope),
                    {}, who};
  };

  switch (policy) {
    case AccessPolicy::operator_attachments:
    case AccessPolicy::operator_bulk: {
      const std::string role = policy == AccessPolicy::operator_bulk ? "bulk" : "attachments";
      if (op) {
        if (std::find(op->roles.begin(), op->roles.end(), role) == op->roles.end())
          return {K::refuse, gate_refusal(403, "operator " + op->name + " lacks the role \"" + role + "\"", kScope),
                  {}, who};
        return {K::allow, {}, Caller{"operator", op->name, op->payers}, who};
      }
      if (access.verdict == AV::accepted || other) return wrong_kind();
      return {K::refuse, gate_refusal(401, "the bearer token is not an operator's token", kInvalid), {}, who};
    }
    case AccessPolicy::provider_system:
    case AccessPolicy::data_consumer: {
      const std::string_view type = policy == AccessPolicy::data_consumer ? "Task" : "DocumentReference";
      const char interaction = interaction_of(route);
      if (access.verdict == AV::accepted) {
        if (!scopes_allow(access.token.scopes, type, interaction))
          return {K::refuse,
                  gate_refusal(403,
                               "the access token's scopes do not include system/" + std::string(type) + "." +
                                   std::string(1, interaction),
                               kScope),
                  {}, who, access.introspection};
        return {K::allow, {}, Caller{"access_token", access.token.client, {}}, who, access.introspection};
      }
      if (op) return wrong_kind();
      if (policy == AccessPolicy::data_consumer && (!other || *other == "CDex client token") &&
          std::any_of(config_.other_tokens.begin(), config_.other_tokens.end(),
                      [](const auto& known) { return known.first == "CDex client token"; }))
        return {K::allow, {}, {}, who};  // the module compares its static token
      if (other) return wrong_kind();
      return {K::refuse, gate_refusal(401, "the bearer token is not a valid SMART Backend Services access token",
                                      kInvalid),
              {}, who};
    }
    case AccessPolicy::admin:
      if (op) {
        if (std::find(op->roles.begin(), op->roles.end(), "admin") == op->roles.end())
          return {K::refuse, gate_refusal(403, "operator " + op->name + " lacks the role \"admin\"", kScope), {}, who};
        return {K::allow, {}, Caller{"operator", op->name, op->payers}, who};
      }
      if (access.verdict == AV::accepted) return wrong_kind();
      if (other && *other != "admin token" && *other != "CDex admin token") return wrong_kind();
      return {K::allow, {}, {}, who};
    case AccessPolicy::payer_publisher:
    case AccessPolicy::smart_launch: {
      const bool own = other && ((policy == AccessPolicy::smart_launch && *other == "SMART launch token"));
      if (op || access.verdict == AV::accepted || (other && !own)) return wrong_kind();
      return {K::allow, {}, {}, who};
    }
    default:
      return {K::refuse, gate_refusal(403, "this endpoint declares no access policy", kRealm), {}, who};
  }
}

}  // namespace crdex::server
