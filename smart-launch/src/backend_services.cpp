#include "crdex/smart/backend_services.hpp"

#include "crdex/fhir/json_writer.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/launch_context.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/scopes.hpp"
#include "http_exchange.hpp"

namespace crdex::smart {

namespace {

constexpr std::string_view kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fhir::Error bad_config(std::string message, std::string expression) {
  return fhir::Error{400, fhir::IssueType::invalid, "backend services: " + std::move(message), std::move(expression)};
}

int64_t epoch_seconds(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

}  // namespace

BackendServicesClient::BackendServicesClient(BackendServicesClient&& other) noexcept
    : config_(std::move(other.config_)),
      options_(other.options_),
      clock_(std::move(other.clock_)),
      cached_token_(std::move(other.cached_token_)),
      cached_until_(other.cached_until_) {}

fhir::Result<BackendServicesClient> BackendServicesClient::create(BackendServicesConfig config, HttpOptions options,
                                                                  Clock clock) {
  if (!is_absolute_http_url(config.token_url)) return bad_config("token_url must be an absolute URL", "token_url");
  if (!detail::transport_allowed(config.token_url, options))
    return bad_config("token_url must be https (plain http only to loopback)", "token_url");
  if (config.client_id.empty()) return bad_config("client_id is required", "client_id");
  auto scope = normalize_scopes(config.scope);
  if (!scope) return scope.error();
  for (size_t start = 0; start < scope->size();) {
    const auto end = std::min(scope->find(' ', start), scope->size());
    if (!std::string_view(*scope).substr(start, end - start).starts_with("system/"))
      return bad_config("Backend Services asks for system/ scopes only", "scope");
    start = end + 1;
  }
  config.scope = std::move(scope).value();
  if (config.algorithm != JwsAlgorithm::RS384 && config.algorithm != JwsAlgorithm::ES384)
    return bad_config("SMART client assertions are signed with RS384 or ES384", "algorithm");
  if (!config.key.fits(config.algorithm))
    return bad_config(std::string("the key cannot sign ") + jws_algorithm_name(config.algorithm), "key");
  if (config.assertion_lifetime.count() < 1 || config.assertion_lifetime > std::chrono::seconds(300))
    return bad_config("an assertion expires 1 to 300 seconds after it is made", "assertion_lifetime");
  return BackendServicesClient(std::move(config), options, std::move(clock));
}

fhir::Result<std::string> BackendServicesClient::client_assertion(std::chrono::system_clock::time_point now) const {
  std::string jti;
  try {
    jti = random_token();
  } catch (const std::exception& e) {
    return fhir::Error{500, fhir::IssueType::exception, e.what(), ""};
  }
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "iss");
  fhir::write_string(w, config_.client_id);
  fhir::write_key(w, "sub");
  fhir::write_string(w, config_.client_id);
  fhir::write_key(w, "aud");
  fhir::write_string(w, config_.token_url);
  fhir::write_key(w, "iat");
  w.Int64(epoch_seconds(now));
  fhir::write_key(w, "exp");
  w.Int64(epoch_seconds(now + config_.assertion_lifetime));
  fhir::write_key(w, "jti");
  fhir::write_string(w, jti);
  w.EndObject();
  return sign_jwt(config_.key, config_.algorithm, std::string_view(buffer.GetString(), buffer.GetSize()), config_.jku);
}

fhir::Result<TokenResponse> BackendServicesClient::request_token_with(std::string_view assertion) const {
  const detail::FormFields fields{{"grant_type", "client_credentials"},
                                  {"scope", config_.scope},
                                  {"client_assertion_type", std::string(kAssertionType)},
                                  {"client_assertion", std::string(assertion)}};
  auto reply = detail::http_post_form(config_.token_url, fields, options_);
  if (!reply) return reply.error();
  if (reply->status != 200) return token_error(reply->status, reply->body);
  auto token = parse_token_response(reply->body);
  if (token) token->no_store = reply->cache_control.find("no-store") != std::string::npos &&
                               reply->pragma.find("no-cache") != std::string::npos;
  return token;
}

fhir::Result<TokenResponse> BackendServicesClient::request_token() {
  // The assertion is stamped with the real time: it is the server's clock
  // that judges iat and exp. clock_ only governs the cache.
  auto assertion = client_assertion(std::chrono::system_clock::now());
  if (!assertion) return assertion.error();
  return request_token_with(*assertion);
}

fhir::Result<std::string> BackendServicesClient::bearer_token() {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  if (!cached_token_.empty() && now + config_.renew_before < cached_until_) return cached_token_;
  auto token = request_token();
  if (!token) return token.error();
  cached_token_ = token->access_token;
  // No expires_in: use the token once (the server did not say how long it lives).
  cached_until_ = token->expires_in > 0 ? now + std::chrono::seconds(token->expires_in) : now;
  return cached_token_;
}

}  // namespace crdex::smart
