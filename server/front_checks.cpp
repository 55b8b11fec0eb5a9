#include "front_checks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "crdex/fhir/operation_outcome.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

std::optional<std::string> raw_header(const Http::Request& request, const std::string& name) {
  if (auto raw = request.headers().tryGetRaw(name)) return raw->value();
  return std::nullopt;
}

}  // namespace

// CORS (Fetch standard): only an Origin on the configured list gets the
// Access-Control-* headers; any other origin gets none, so browsers keep
// their same-origin rule and a page elsewhere cannot read crdex's answers.
HeaderList cors_headers(const Http::Request& request, const FrontState& state, bool& preflight) {
  preflight = false;
  HeaderList headers;
  if (state.cors_origins.empty()) return headers;
  const auto origin = raw_header(request, "Origin");
  if (!origin || std::find(state.cors_origins.begin(), state.cors_origins.end(), *origin) == state.cors_origins.end())
    return headers;
  headers.emplace_back("Access-Control-Allow-Origin", *origin);
  headers.emplace_back("Vary", "Origin");
  if (request.method() == Http::Method::Options && raw_header(request, "Access-Control-Request-Method")) {
    preflight = true;
    headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS");
    headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    headers.emplace_back("Access-Control-Max-Age", "600");
  }
  return headers;
}

// CDS Hooks §Trusting CDS Clients: nullopt when the caller may go on. When
// the client's key set must be fetched first and `may_fetch` is false (an
// event thread), sets `pending` so the caller checks again on a worker.
// An accepted token's (issuer, jti) go to `held` (settled when the answer is sent).
std::optional<Answer> check_client(const Http::Request& request, const FrontState& state, bool may_fetch,
                                   bool& pending, std::string& caller_key, PathParams& params, Answer& held) {
  pending = false;
  if (!state.client_auth) return std::nullopt;
  const auto header = request.headers().tryGet<Http::Header::Authorization>();
  const auto outcome =
      state.client_auth->authenticate(header ? header->value() : std::string(), called_url(request, state.called_url),
                                      may_fetch);
  if (outcome.verdict == ClientAuthenticator::Verdict::accepted) {
    caller_key = "CDS client " + outcome.issuer;
    held.held_issuer = outcome.issuer;
    held.held_jti = outcome.jti;
    params.set_caller({"cds_client", outcome.issuer, {}});  // its fhirServer allowlist is checked by the handler
    return std::nullopt;
  }
  if (outcome.verdict == ClientAuthenticator::Verdict::needs_fetch) {
    pending = true;
    return std::nullopt;
  }
  spdlog::info("{} {}: client authentication failed: {}", Http::methodString(request.method()), request.resource(),
               outcome.error.message);
  if (state.metrics)
    state.metrics->count_credential_failure(access_policy_name(AccessPolicy::cds_client),
                                            credential_failure_reason(outcome.error.message));
  Answer answer = problem(401, fhir::IssueType::security, outcome.error.message);
  answer.headers.emplace_back("WWW-Authenticate", header ? R"(Bearer realm="crdex", error="invalid_token")"
                                                         : R"(Bearer realm="crdex")");
  answer.who = header ? "CDS client JWT" : "no credential";
  return answer;
}

// The access gate (access_gate.hpp): nullopt when the caller may go on, with
// `params` told who it is. `pending`: as check_client.
std::optional<Answer> check_gate(const Http::Request& request, const Route& found, const FrontState& state,
                                 bool may_fetch, bool& pending, PathParams& params, std::string& caller_key) {
  pending = false;
  if (!state.gate) return std::nullopt;
  auto decision = state.gate->check(found, request, may_fetch);
  if (state.metrics && !decision.introspection.empty()) state.metrics->count_token_introspection(decision.introspection);
  using K = AccessGate::Decision::Kind;
  if (decision.kind == K::needs_fetch) {
    pending = true;
    return std::nullopt;
  }
  if (decision.kind == K::allow) {
    if (!decision.caller.kind.empty()) caller_key = decision.who;  // an operator or a system: rate-limited
    params.set_caller(std::move(decision.caller));
    return std::nullopt;
  }
  spdlog::info("{} {}: refused {} ({}): {}", Http::methodString(request.method()), request.resource(),
               decision.refusal.status, decision.who, access_policy_name(found.policy));
  Answer answer = from_module(std::move(decision.refusal));
  answer.who = std::move(decision.who);
  return answer;
}

// Over its rate limit, an identified caller gets 429 with Retry-After.
std::optional<Answer> check_rate(const FrontState& state, const std::string& caller_key) {
  if (!state.rate_limiter || caller_key.empty()) return std::nullopt;
  const int wait = state.rate_limiter->admit(caller_key);
  if (wait == 0) return std::nullopt;
  Answer answer = problem(429, fhir::IssueType::transient,
                          "too many calls from " + caller_key + "; retry in " + std::to_string(wait) + " s");
  answer.headers.emplace_back("Retry-After", std::to_string(wait));
  answer.who = caller_key;
  return answer;
}

}  // namespace crdex::server
