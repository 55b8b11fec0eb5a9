#include "client_registry.hpp"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/token_file.hpp"

namespace crdex::server {

namespace {

using fhir::JsonNode;

std::string read_file(const std::filesystem::path& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  ok = static_cast<bool>(in);
  return text.str();
}

// Key-set URLs: https, or plain http to a loopback host (tests).
void check_key_url(const JsonNode& node) {
  const auto url = node.as_non_empty_string();
  if (fhir::check_fhir_server_url(url, false))
    node.fail("must be an https URL (plain http only to a loopback address)");
}

int64_t seconds_setting(const JsonNode& settings, std::string_view name, int64_t fallback, int64_t max) {
  const auto node = settings.find(name);
  if (!node) return fallback;
  const auto value = node->as_int();
  if (value < 0 || value > max) node->fail("must be between 0 and " + std::to_string(max));
  return value;
}

std::filesystem::path registry_relative(const std::filesystem::path& base_dir, std::string_view file) {
  const std::filesystem::path path{std::string(file)};
  return path.is_absolute() ? path : base_dir / path;
}

// "introspection": {"endpoint", "client_id", "auth", "client_secret_file" |
// "key_file" + "kid" + "algorithm", "introspect_jwts"}.
IntrospectionEndpoint read_introspection(const JsonNode& node, const std::filesystem::path& base_dir) {
  node.expect_object();
  IntrospectionEndpoint endpoint;
  const auto url = node.at("endpoint");
  check_key_url(url);
  endpoint.url = url.as_string();
  endpoint.client_id = node.at("client_id").as_non_empty_string();
  const std::string auth(node.find("auth") ? node.at("auth").as_string() : std::string_view("client_secret_basic"));
  if (auth == "client_secret_basic") {
    endpoint.auth = IntrospectionEndpoint::Auth::client_secret_basic;
    const auto file = node.at("client_secret_file");
    auto secret = fhir::read_token_file(registry_relative(base_dir, file.as_non_empty_string()), "client_secret_file");
    if (!secret) file.fail(secret.error().message);
    endpoint.client_secret = std::move(secret).value();
  } else if (auth == "private_key_jwt") {
    endpoint.auth = IntrospectionEndpoint::Auth::private_key_jwt;
    const auto key_file = node.at("key_file");
    bool ok = false;
    const auto pem = read_file(registry_relative(base_dir, key_file.as_non_empty_string()), ok);
    if (!ok) key_file.fail("cannot read the key file");
    auto key = smart::SigningKey::from_pem(pem, std::string(node.at("kid").as_non_empty_string()));
    if (!key) key_file.fail(key.error().message);
    const auto algorithm = smart::parse_jws_algorithm(node.at("algorithm").as_string());
    if (!algorithm || *algorithm == smart::JwsAlgorithm::RS256) node.at("algorithm").fail("must be RS384 or ES384");
    endpoint.algorithm = *algorithm;
    endpoint.key = std::make_shared<const smart::SigningKey>(std::move(key).value());
  } else {
    node.at("auth").fail("must be client_secret_basic or private_key_jwt");
  }
  if (const auto jwts = node.find("introspect_jwts")) endpoint.jwts = jwts->as_bool();
  return endpoint;
}

TrustedClient read_client(const JsonNode& node, const std::filesystem::path& base_dir, bool may_introspect) {
  node.expect_object();
  TrustedClient client;
  client.iss = node.at("iss").as_non_empty_string();
  const auto inline_keys = node.find("jwks");
  const auto key_file = node.find("jwks_file");
  if (inline_keys && key_file) node.fail("give \"jwks\" or \"jwks_file\", not both");
  if (inline_keys || key_file) {
    std::string json;
    const JsonNode& where = inline_keys ? *inline_keys : *key_file;
    if (inline_keys) {
      json = simdjson::minify(inline_keys->expect_object().element());
    } else {
      const auto path = base_dir / std::filesystem::path(std::string(key_file->as_non_empty_string()));
      bool ok = false;
      json = read_file(path, ok);
      if (!ok) key_file->fail("cannot read " + path.string());
    }
    auto keys = smart::parse_jwks(json);
    if (!keys) where.fail(keys.error().message);
    if (keys->empty()) where.fail("holds no usable key (RSA or EC P-384 with a kid)");
    client.keys = std::make_shared<const smart::Jwks>(std::move(keys).value());
  }
  if (const auto url = node.find("jwks_url")) {
    check_key_url(*url);
    client.jwks_url = url->as_string();
  }
  if (const auto jku = node.find("jku")) {
    for (const auto& item : jku->items()) {
      check_key_url(item);
      client.allowed_jku.emplace_back(item.as_string());
    }
  }
  if (const auto introspection = node.find("introspection")) {
    if (!may_introspect) introspection->fail("is for authorization servers only");
    client.introspection = read_introspection(*introspection, base_dir);
  }
  // Without keys, an issuer's JWTs are introspected as well (has_keys()).
  if (!client.has_keys() && !client.introspection)
    node.fail(may_introspect ? "needs keys (\"jwks\", \"jwks_file\", \"jwks_url\" or \"jku\") or \"introspection\""
                             : "needs keys: \"jwks\", \"jwks_file\", \"jwks_url\" or \"jku\"");
  if (const auto servers = node.find("fhir_servers")) {
    client.fhir_servers.emplace();
    for (const auto& item : servers->items()) {
      std::string url(item.as_non_empty_string());
      if (!url.starts_with("https://") && !url.starts_with("http://")) item.fail("must be an http(s) URL");
      if (url.find_first_of("?#") != std::string::npos) item.fail("must be a base URL (no query or fragment)");
      while (url.size() > 1 && url.back() == '/') url.pop_back();
      client.fhir_servers->push_back(std::move(url));
    }
  }
  if (const auto tenant = node.find("tenant")) client.tenant = std::string(tenant->as_non_empty_string());
  if (const auto algorithms = node.find("algorithms")) {
    for (const auto& item : algorithms->items()) {
      const auto algorithm = smart::parse_jws_algorithm(item.as_string());
      if (!algorithm) item.fail("is not one of ES384, RS384, RS256 (none and HMAC are never accepted)");
      client.algorithms.push_back(*algorithm);
    }
    if (client.algorithms.empty()) algorithms->fail("is empty");
  } else {
    const auto defaults = smart::default_jws_algorithms();
    client.algorithms.assign(defaults.begin(), defaults.end());
  }
  return client;
}

}  // namespace

bool TrustedClient::has_keys() const { return keys || !jwks_url.empty() || !allowed_jku.empty(); }

bool TrustedClient::jku_allowed(std::string_view jku) const {
  return jku == jwks_url || std::find(allowed_jku.begin(), allowed_jku.end(), jku) != allowed_jku.end();
}

const TrustedClient* ClientRegistry::find(std::string_view iss) const {
  auto it = clients.find(iss);
  return it == clients.end() ? nullptr : &it->second;
}

fhir::Result<ClientRegistry> parse_client_registry(std::string_view json, const std::filesystem::path& base_dir,
                                                   std::string_view list_key) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure, "not JSON", ""};
  try {
    const JsonNode top(root, "$");
    top.expect_object();
    ClientRegistry registry;
    if (const auto settings = top.find("settings")) {
      settings->expect_object();
      auto& s = registry.settings;
      s.clock_skew_seconds = seconds_setting(*settings, "clock_skew_seconds", s.clock_skew_seconds, 600);
      s.max_token_lifetime_seconds =
          seconds_setting(*settings, "max_token_lifetime_seconds", s.max_token_lifetime_seconds, 86400);
      s.jwks_min_refresh_seconds =
          seconds_setting(*settings, "jwks_min_refresh_seconds", s.jwks_min_refresh_seconds, 86400);
      s.jwks_max_age_seconds = seconds_setting(*settings, "jwks_max_age_seconds", s.jwks_max_age_seconds, 7 * 86400);
      s.introspection_cache_seconds =
          seconds_setting(*settings, "introspection_cache_seconds", s.introspection_cache_seconds, 300);
    }
    const auto clients = top.at(list_key);
    for (const auto& node : clients.items()) {
      auto client = read_client(node, base_dir, list_key == "authorization_servers");
      if (registry.clients.contains(client.iss)) node.at("iss").fail("names an issuer already configured");
      registry.clients.emplace(client.iss, std::move(client));
    }
    if (registry.clients.empty()) clients.fail("lists no issuer");
    return registry;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

fhir::Result<ClientRegistry> load_client_registry(const std::filesystem::path& file, std::string_view list_key) {
  bool ok = false;
  const std::string json = read_file(file, ok);
  if (!ok) return fhir::Error{400, fhir::IssueType::not_found, file.string() + ": cannot read the clients file", ""};
  auto registry = parse_client_registry(json, file.parent_path(), list_key);
  if (!registry) return fhir::Error{400, registry.error().type, file.string() + ": " + registry.error().message, ""};
  return registry;
}

}  // namespace crdex::server
