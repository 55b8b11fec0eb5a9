#include "crdex/smart/authorization_code.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "crdex/smart/base64url.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/scopes.hpp"
#include "http_exchange.hpp"

namespace crdex::smart {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// An absolute URI with a scheme and "://": https, or a native app's own scheme.
bool is_absolute_redirect(std::string_view uri) {
  const auto colon = uri.find("://");
  if (colon == std::string_view::npos || colon == 0 || colon + 3 == uri.size()) return false;
  for (char c : uri.substr(0, colon))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  return uri.find('#') == std::string_view::npos;
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string query_parameter(std::string_view url, std::string_view name) {
  const auto question = url.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = url.substr(question + 1);
  query = query.substr(0, query.find('#'));
  size_t start = 0;
  while (start <= query.size()) {
    const auto end = std::min(query.find('&', start), query.size());
    const auto pair = query.substr(start, end - start);
    const auto equals = pair.find('=');
    if (form_decode(pair.substr(0, equals)) == name)
      return equals == std::string_view::npos ? std::string() : form_decode(pair.substr(equals + 1));
    start = end + 1;
  }
  return {};
}

std::string code_challenge_s256(std::string_view code_verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(code_verifier.data(), code_verifier.size(), digest, &size, EVP_sha256(), nullptr);
  return base64url_encode(std::span<const uint8_t>(digest, size));
}

fhir::Result<PendingAuthorization> begin_authorization(const SmartConfiguration& configuration,
                                                       const AuthorizationParams& params) {
  if (configuration.authorization_endpoint.empty())
    return fhir::Error::invalid("the server has no authorization_endpoint", "authorization_endpoint");
  if (std::find(configuration.code_challenge_methods_supported.begin(),
                configuration.code_challenge_methods_supported.end(),
                "S256") == configuration.code_challenge_methods_supported.end())
    return fhir::Error::invalid("the server does not support PKCE S256", "code_challenge_methods_supported");
  if (params.client_id.empty()) return fhir::Error::invalid("client_id is required", "client_id");
  if (!is_absolute_redirect(params.redirect_uri))
    return fhir::Error::invalid("redirect_uri must be an absolute URL", "redirect_uri");
  if (!is_absolute_http_url(params.aud)) return fhir::Error::invalid("aud must be the FHIR base URL", "aud");
  auto scope = normalize_scopes(params.scope);
  if (!scope) return scope.error();

  PendingAuthorization pending;
  try {
    pending.state = random_token();
    pending.code_verifier = random_token();
  } catch (const std::exception& e) {
    return fhir::Error{500, fhir::IssueType::exception, e.what(), ""};
  }
  detail::FormFields fields{{"response_type", "code"},
                            {"client_id", params.client_id},
                            {"redirect_uri", params.redirect_uri},
                            {"scope", *scope},
                            {"state", pending.state},
                            {"aud", params.aud}};
  if (!params.launch.empty()) fields.emplace_back("launch", params.launch);
  fields.emplace_back("code_challenge", code_challenge_s256(pending.code_verifier));
  fields.emplace_back("code_challenge_method", "S256");
  const auto& endpoint = configuration.authorization_endpoint;
  pending.url = endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") + detail::form_encode(fields);
  return pending;
}

fhir::Result<std::string> code_from_redirect(std::string_view redirect_url, const PendingAuthorization& pending) {
  const std::string state = query_parameter(redirect_url, "state");
  // The state is checked before anything else: an answer to another request
  // (or a forged one) is refused whatever it carries.
  if (state.empty() || !same_secret(state, pending.state))
    return fhir::Error{400, fhir::IssueType::security, "state mismatch: the redirect does not answer our request",
                       "state"};
  if (const std::string error = query_parameter(redirect_url, "error"); !error.empty()) {
    const std::string description = query_parameter(redirect_url, "error_description");
    return fhir::Error{400, fhir::IssueType::security, error + (description.empty() ? "" : ": " + description),
                       error};
  }
  std::string code = query_parameter(redirect_url, "code");
  if (code.empty()) return fhir::Error::invalid("the redirect carries no code", "code");
  return code;
}

fhir::Result<TokenResponse> exchange_code(const SmartConfiguration& configuration, const AuthorizationParams& params,
                                          std::string_view code, std::string_view code_verifier,
                                          const HttpOptions& options) {
  const detail::FormFields fields{{"grant_type", "authorization_code"},
                                  {"code", std::string(code)},
                                  {"redirect_uri", params.redirect_uri},
                                  {"client_id", params.client_id},
                                  {"code_verifier", std::string(code_verifier)}};
  auto reply = detail::http_post_form(configuration.token_endpoint, fields, options);
  if (!reply) return reply.error();
  if (reply->status != 200) return token_error(reply->status, reply->body);
  auto token = parse_token_response(reply->body);
  if (token) token->no_store = reply->cache_control.find("no-store") != std::string::npos &&
                               reply->pragma.find("no-cache") != std::string::npos;
  return token;
}

}  // namespace crdex::smart
