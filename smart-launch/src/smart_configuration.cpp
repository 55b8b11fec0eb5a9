#include "crdex/smart/smart_configuration.hpp"

#include <simdjson.h>

#include <algorithm>

#include "crdex/fhir/json_node.hpp"
#include "crdex/smart/launch_context.hpp"
#include "http_exchange.hpp"

namespace crdex::smart {

namespace {

fhir::Error bad_document(std::string message, std::string expression) {
  return fhir::Error{502, fhir::IssueType::invalid, "smart-configuration: " + std::move(message),
                     std::move(expression)};
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::vector<std::string> string_list(const fhir::JsonNode& root, std::string_view key, bool required) {
  std::vector<std::string> out;
  const auto node = root.find(key);
  if (!node) {
    if (required) throw fhir::JsonShapeError(std::string(key), std::string(key) + " is required");
    return out;
  }
  for (const auto& item : node->items()) out.emplace_back(item.as_non_empty_string());
  return out;
}

}  // namespace

bool SmartConfiguration::has_capability(std::string_view capability) const {
  return contains(capabilities, capability);
}

bool SmartConfiguration::supports_grant(std::string_view grant_type) const {
  return contains(grant_types_supported, grant_type);
}

fhir::Result<SmartConfiguration> parse_smart_configuration(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS)
    return bad_document("the document is not JSON", "");
  SmartConfiguration c;
  try {
    const fhir::JsonNode node(root, "");
    node.expect_object();
    c.token_endpoint = node.at("token_endpoint").as_non_empty_string();
    c.issuer = node.string_or_empty("issuer");
    c.jwks_uri = node.string_or_empty("jwks_uri");
    c.authorization_endpoint = node.string_or_empty("authorization_endpoint");
    c.introspection_endpoint = node.string_or_empty("introspection_endpoint");
    c.revocation_endpoint = node.string_or_empty("revocation_endpoint");
    c.registration_endpoint = node.string_or_empty("registration_endpoint");
    c.management_endpoint = node.string_or_empty("management_endpoint");
    c.grant_types_supported = string_list(node, "grant_types_supported", true);
    c.capabilities = string_list(node, "capabilities", true);
    c.code_challenge_methods_supported = string_list(node, "code_challenge_methods_supported", true);
    c.scopes_supported = string_list(node, "scopes_supported", false);
    c.token_endpoint_auth_methods_supported = string_list(node, "token_endpoint_auth_methods_supported", false);
    c.token_endpoint_auth_signing_alg_values_supported =
        string_list(node, "token_endpoint_auth_signing_alg_values_supported", false);
  } catch (const fhir::JsonShapeError& e) {
    return bad_document(e.what(), e.path);
  }
  if (!contains(c.code_challenge_methods_supported, "S256"))
    return bad_document("code_challenge_methods_supported must include S256", "code_challenge_methods_supported");
  if (contains(c.code_challenge_methods_supported, "plain"))
    return bad_document("code_challenge_methods_supported must not include plain", "code_challenge_methods_supported");
  if ((c.has_capability("launch-ehr") || c.has_capability("launch-standalone")) && c.authorization_endpoint.empty())
    return bad_document("authorization_endpoint is required with launch-ehr or launch-standalone",
                        "authorization_endpoint");
  if (c.has_capability("sso-openid-connect")) {
    if (c.issuer.empty()) return bad_document("issuer is required with sso-openid-connect", "issuer");
    if (c.jwks_uri.empty()) return bad_document("jwks_uri is required with sso-openid-connect", "jwks_uri");
  }
  const std::pair<const char*, const std::string*> urls[] = {
      {"token_endpoint", &c.token_endpoint},
      {"authorization_endpoint", &c.authorization_endpoint},
      {"issuer", &c.issuer},
      {"jwks_uri", &c.jwks_uri},
      {"introspection_endpoint", &c.introspection_endpoint},
      {"revocation_endpoint", &c.revocation_endpoint},
      {"registration_endpoint", &c.registration_endpoint},
      {"management_endpoint", &c.management_endpoint}};
  for (const auto& [name, value] : urls)
    if (!value->empty() && !is_absolute_http_url(*value))
      return bad_document(std::string(name) + " must be an absolute URL, got \"" + *value + "\"", name);
  return c;
}

fhir::Result<SmartConfiguration> fetch_smart_configuration(std::string_view fhir_base, const HttpOptions& options) {
  std::string url(fhir_base);
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/.well-known/smart-configuration";
  auto reply = detail::http_get_json(url, options);
  if (!reply) return reply.error();
  if (reply->status != 200)
    return fhir::Error{502, fhir::IssueType::processing,
                       url + " answered HTTP " + std::to_string(reply->status) + " instead of the SMART configuration",
                       ""};
  if (!reply->content_type.starts_with("application/json"))
    return bad_document("served as \"" + reply->content_type + "\", not application/json", "");
  return parse_smart_configuration(reply->body);
}

}  // namespace crdex::smart
