#include "token_introspection.hpp"

#include <openssl/evp.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/launch_context.hpp"
#include "crdex/smart/random_token.hpp"
#include "request_log_context.hpp"
#include "scope_list.hpp"

namespace crdex::server {

namespace {

constexpr size_t kMaxIntrospectionBytes = 64 * 1024;
constexpr std::chrono::milliseconds kIntrospectionTimeout{3000};
constexpr size_t kMaxCachedIntrospections = 10'000;
constexpr int64_t kAssertionLifetimeSeconds = 60;

std::string introspection_base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string_view without_trailing_slashes(std::string_view url) {
  while (url.size() > 1 && url.back() == '/') url.remove_suffix(1);
  return url;
}

std::optional<int64_t> introspection_int(simdjson::dom::object object, std::string_view key) {
  int64_t value = 0;
  if (object[key].get_int64().get(value) == simdjson::SUCCESS) return value;
  uint64_t unsigned_value = 0;
  if (object[key].get_uint64().get(unsigned_value) == simdjson::SUCCESS && unsigned_value <= INT64_MAX)
    return static_cast<int64_t>(unsigned_value);
  return std::nullopt;
}

std::optional<std::string> introspection_string(simdjson::dom::object object, std::string_view key) {
  std::string_view value;
  if (object[key].get_string().get(value) == simdjson::SUCCESS) return std::string(value);
  return std::nullopt;
}

}  // namespace

TokenIntrospector::TokenIntrospector(const ClientRegistry& servers, std::string audience, Now now, Post post)
    : servers_(servers), audience_(std::move(audience)), now_(std::move(now)), post_(std::move(post)) {}

bool TokenIntrospector::configured() const {
  return std::any_of(servers_.clients.begin(), servers_.clients.end(),
                     [](const auto& entry) { return entry.second.introspection.has_value(); });
}

TokenIntrospector::Outcome TokenIntrospector::introspect(std::string_view token, const TrustedClient* only,
                                                         bool may_fetch) const {
  const std::string key = config::sha256_checksum(token);
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      if (now_() < it->second.until) {
        if (!only || it->second.token.issuer == only->iss)
          return {Verdict::accepted, {}, it->second.token, "cached"};
      } else {
        cache_.erase(it);
      }
    }
  }
  if (!may_fetch) return {Verdict::needs_fetch, {}, {}, {}};

  std::string unavailable;  // why the last endpoint that failed did
  for (const auto& [iss, server] : servers_.clients) {
    if (!server.introspection || (only && only != &server)) continue;
    Outcome answer = ask(server, token);
    if (answer.verdict == Verdict::unavailable) {
      spdlog::warn("token introspection at {} failed: {}", server.introspection->url, answer.error);
      unavailable = answer.error;
      continue;
    }
    if (answer.verdict == Verdict::accepted) {
      const int64_t until = std::min(now_() + servers_.settings.introspection_cache_seconds, answer.token.exp);
      std::lock_guard lock(mutex_);
      if (cache_.size() >= kMaxCachedIntrospections) {
        const int64_t now = now_();
        std::erase_if(cache_, [now](const auto& entry) { return entry.second.until <= now; });
        if (cache_.size() >= kMaxCachedIntrospections) cache_.erase(cache_.begin());
      }
      cache_[key] = Cached{answer.token, until};
    }
    if (answer.verdict != Verdict::inactive) return answer;  // accepted or rejected: this issuer's token
  }
  // The detail (logged above) stays in the log: the caller learns only that it may retry.
  if (!unavailable.empty())
    return {Verdict::unavailable,
            "the authorization server cannot say whether the access token is active now; try again later", {},
            "error"};
  return {Verdict::inactive, "the access token is not active", {}, "inactive"};
}

std::string TokenIntrospector::client_assertion(const IntrospectionEndpoint& endpoint) const {
  // RFC 7523 §3: iss = sub = client_id, aud = the endpoint called, a short life, a fresh jti.
  const int64_t now = now_();
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"iss", endpoint.client_id},
                                    {"sub", endpoint.client_id}, {"aud", endpoint.url}}) {
    fhir::write_key(w, name);
    fhir::write_string(w, value);
  }
  fhir::write_key(w, "jti");
  fhir::write_string(w, smart::random_token());
  fhir::write_key(w, "iat");
  w.Int64(now);
  fhir::write_key(w, "exp");
  w.Int64(now + kAssertionLifetimeSeconds);
  w.EndObject();
  const std::string_view claims(buffer.GetString(), buffer.GetSize());
  auto signed_jwt = smart::sign_jwt(*endpoint.key, endpoint.algorithm, claims);
  return signed_jwt ? std::move(signed_jwt).value() : std::string();
}

TokenIntrospector::Outcome TokenIntrospector::ask(const TrustedClient& server, std::string_view token) const {
  const IntrospectionEndpoint& endpoint = *server.introspection;
  auto unavailable = [](std::string why) { return Outcome{Verdict::unavailable, std::move(why), {}, "error"}; };
  fhir::HttpCall call;
  call.method = "POST";
  call.url = endpoint.url;
  call.timeout = kIntrospectionTimeout;
  call.connect_timeout = kIntrospectionTimeout;
  call.max_body_bytes = kMaxIntrospectionBytes;
  call.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  if (auto id = fhir::request_id_header(current_request_id()); !id.empty()) call.headers.push_back(std::move(id));
  call.body = "token=" + smart::url_encode(token) + "&token_type_hint=access_token";
  if (endpoint.auth == IntrospectionEndpoint::Auth::client_secret_basic) {
    // RFC 6749 §2.3.1: each part form-encoded, then Basic.
    call.headers.push_back("Authorization: Basic " +
                           introspection_base64(smart::url_encode(endpoint.client_id) + ":" +
                                                smart::url_encode(endpoint.client_secret)));
  } else {
    const std::string assertion = client_assertion(endpoint);
    if (assertion.empty()) return unavailable("crdex could not sign its client assertion");
    call.body += "&client_id=" + smart::url_encode(endpoint.client_id) +
                 "&client_assertion_type=" +
                 smart::url_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                 "&client_assertion=" + assertion;
  }
  const fhir::HttpAnswer answer = post_(call);
  if (answer.too_large) return unavailable("its answer is larger than 64 KiB");
  if (!answer.transferred) return unavailable(answer.problem.empty() ? "no answer" : answer.problem);
  if (answer.status != 200) return unavailable("HTTP status " + std::to_string(answer.status));
  return check_answer(server, answer.body);
}

TokenIntrospector::Outcome TokenIntrospector::check_answer(const TrustedClient& server, std::string_view body) const {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(body.data(), body.size()).get(object) != simdjson::SUCCESS)
    return {Verdict::unavailable, "its answer is not a JSON object", {}, "error"};
  bool active = false;
  if (object["active"].get_bool().get(active) != simdjson::SUCCESS)
    return {Verdict::unavailable, "its answer has no boolean \"active\"", {}, "error"};
  if (!active) return {Verdict::inactive, "the access token is not active", {}, "inactive"};
  auto reject = [](std::string why) { return Outcome{Verdict::rejected, std::move(why), {}, "rejected"}; };

  const auto iss = introspection_string(object, "iss");
  if (!iss) return reject("the introspected access token has no \"iss\"");
  if (*iss != server.iss) return reject("the introspected access token's \"iss\" is not its authorization server");
  bool audience_ok = false;
  simdjson::dom::element aud;
  if (object["aud"].get(aud) == simdjson::SUCCESS) {
    auto matches = [this](std::string_view value) { return without_trailing_slashes(value) == audience_; };
    std::string_view one;
    simdjson::dom::array many;
    if (aud.get_string().get(one) == simdjson::SUCCESS) {
      audience_ok = matches(one);
    } else if (aud.get_array().get(many) == simdjson::SUCCESS) {
      for (auto item : many)
        if (item.get_string().get(one) == simdjson::SUCCESS && matches(one)) audience_ok = true;
    }
  }
  if (!audience_ok) return reject("the introspected access token's \"aud\" is not this server, " + audience_);
  const int64_t now = now_(), skew = servers_.settings.clock_skew_seconds;
  const auto exp = introspection_int(object, "exp");
  if (!exp) return reject("the introspected access token has no \"exp\"");
  if (*exp + skew < now) return reject("the access token has expired");
  if (const auto iat = introspection_int(object, "iat"); iat && *iat - skew > now)
    return reject("the introspected access token's \"iat\" is in the future");
  if (const auto nbf = introspection_int(object, "nbf"); nbf && *nbf - skew > now)
    return reject("the access token is not valid yet (\"nbf\")");
  if (object["cnf"].error() == simdjson::SUCCESS)
    return reject("the access token is sender-constrained (\"cnf\"); crdex takes bearer tokens only");
  if (const auto type = introspection_string(object, "token_type")) {
    std::string lower = *type;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower != "bearer" && lower != "access_token")
      return reject("the introspected token's \"token_type\" is not Bearer");
  }
  Outcome out{Verdict::accepted, {}, {}, "active"};
  out.token.issuer = server.iss;
  out.token.client = introspection_string(object, "client_id").value_or(introspection_string(object, "sub").value_or(""));
  out.token.scopes = split_scope_list(introspection_string(object, "scope").value_or(""));
  out.token.exp = *exp;
  return out;
}

}  // namespace crdex::server
