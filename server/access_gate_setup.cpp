#include "access_gate_setup.hpp"

#include <spdlog/spdlog.h>

#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/outbound_policy.hpp"
#include "crdex/fhir/token_file.hpp"

namespace crdex::server {

namespace {

// The hash of a module's token file, recognised by the gate (403 elsewhere).
bool add_known_token(const std::filesystem::path& file, const std::string& kind, const std::string& option,
                     AccessGateConfig& config) {
  if (file.empty()) return true;
  auto token = fhir::read_token_file(file, option);
  if (!token) {
    spdlog::critical("{}", token.error().message);
    return false;
  }
  config.other_tokens.emplace_back(kind, config::sha256_checksum(*token));
  return true;
}

}  // namespace

bool configure_access_gate(const ServerOptions& options, FrontState& state) {
  AccessGateConfig config;
  config.insecure_laptop_mode = options.insecure_no_client_auth;
  if (!options.operators_file.empty()) {
    auto operators = load_operators(options.operators_file);
    if (!operators) {
      spdlog::critical("--operators {}", operators.error().message);
      return false;
    }
    config.operators = std::move(operators).value();
    spdlog::info("operators: {} configured", config.operators.size());
  }
  if (!options.authorization_servers_file.empty()) {
    auto servers = load_client_registry(options.authorization_servers_file, "authorization_servers");
    if (!servers) {
      spdlog::critical("--authorization-servers {}", servers.error().message);
      return false;
    }
    if (options.public_url.empty()) {
      spdlog::critical("--authorization-servers needs --public-url: access tokens must name crdex's base URL as aud");
      return false;
    }
    spdlog::info("SMART Backend Services access tokens accepted from {} authorization server(s), aud {}",
                 servers->clients.size(), options.public_url);
    for (const auto& [iss, server] : servers->clients)
      if (server.introspection)
        spdlog::info("opaque access tokens of {} are introspected at {} as client {} ({})", iss,
                     server.introspection->url, server.introspection->client_id,
                     server.introspection->auth == IntrospectionEndpoint::Auth::private_key_jwt ? "private_key_jwt"
                                                                                                : "client_secret_basic");
    config.access_tokens = std::make_shared<AccessTokenVerifier>(std::move(servers).value(), options.public_url);
  }
  if (!add_known_token(options.admin_token_file, "admin token", "--admin-token-file", config) ||
      !add_known_token(options.cdex.admin_token_file, "CDex admin token", "--cdex-admin-token-file", config) ||
      !add_known_token(options.cdex.client_token_file, "CDex client token", "--cdex-client-token-file", config) ||
      !add_known_token(options.smart_launch_token_file, "SMART launch token", "--smart-launch-token", config))
    return false;
  auto gate = std::make_shared<AccessGate>(std::move(config));
  for (const auto& family : gate->open_families())
    spdlog::warn("*** --insecure-no-client-auth: no credential is configured for the {} routes, so they answer "
                 "ANYONE. Never run this way outside local testing. ***",
                 family);
  state.gate = std::move(gate);
  return true;
}

namespace {

void add_key_origins(const ClientRegistry& registry, std::vector<std::string>& origins) {
  for (const auto& [iss, client] : registry.clients) {
    if (!client.jwks_url.empty()) origins.push_back(client.jwks_url);
    origins.insert(origins.end(), client.allowed_jku.begin(), client.allowed_jku.end());
    if (client.introspection) origins.push_back(client.introspection->url);
  }
}

}  // namespace

bool configure_outbound_policy(const ServerOptions& options, const FrontState& state) {
  fhir::OutboundPolicy policy;
  policy.guard = true;
  policy.allowed_addresses = options.outbound_allowed_addresses;
  if (options.insecure_no_client_auth) {
    spdlog::warn("*** --insecure-no-client-auth: crdex may call loopback addresses (127.0.0.1, ::1); other "
                 "internal addresses stay refused unless --outbound-allow-address names them. ***");
    policy.allowed_addresses.insert(policy.allowed_addresses.end(), {"127.0.0.1", "::1"});
  }
  if (state.client_auth) add_key_origins(state.client_auth->registry(), policy.configured_origins);
  if (state.gate && state.gate->config().access_tokens)
    add_key_origins(state.gate->config().access_tokens->servers(), policy.configured_origins);
  if (!options.cdex.ehr_fhir.empty()) policy.configured_origins.push_back(options.cdex.ehr_fhir);
  std::string problem;
  if (!fhir::set_outbound_policy(policy, &problem)) {
    spdlog::critical("--outbound-allow-address {}", problem);
    return false;
  }
  return true;
}

}  // namespace crdex::server
