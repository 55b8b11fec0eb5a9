#include "jwks_api.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "crdex/fhir/operation_outcome.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

smart::JwsAlgorithm published_algorithm(const smart::SigningKey& key) {
  return key.is_rsa() ? smart::JwsAlgorithm::RS384 : smart::JwsAlgorithm::ES384;
}

JwksApi::JwksApi(std::string path, const std::vector<smart::SigningKey>& keys) : path_(std::move(path)) {
  std::vector<smart::PublishedKey> published;
  for (const auto& key : keys) published.push_back({&key, published_algorithm(key)});
  document_ = smart::public_jwks_json(published);
}

std::vector<Route> JwksApi::routes() const {
  return {Route{Http::Method::Get, path_, AccessPolicy::public_access,
                [this](const Http::Request&, const PathParams&) { return serve(); }, false, {}}};
}

ApiAnswer JwksApi::serve() const {
  ApiAnswer answer{200, document_, false, {}};
  // Verifiers may cache it for a while (SMART: no longer than this allows);
  // public keys may be fetched from any origin.
  answer.headers.emplace_back("Cache-Control", "max-age=300");
  answer.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return answer;
}

bool configure_jwks(const ServerOptions& options, FrontState& state) {
  if (options.signing_keys.empty()) return true;
  if (!options.jwks_path.starts_with('/') || options.jwks_path.size() < 2 || options.jwks_path.back() == '/') {
    spdlog::critical("--jwks-path {}: expected an absolute path such as /.well-known/jwks.json", options.jwks_path);
    return false;
  }
  std::vector<smart::SigningKey> keys;
  for (const auto& entry : options.signing_keys) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size()) {
      spdlog::critical("--signing-key {}: expected KID=FILE", entry);
      return false;
    }
    std::ifstream in(entry.substr(equals + 1));
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in) {
      spdlog::critical("--signing-key {}: cannot read the key file", entry);
      return false;
    }
    auto key = smart::SigningKey::from_pem(pem.str(), entry.substr(0, equals));
    if (!key) {
      spdlog::critical("--signing-key {}: {}", entry, key.error().message);
      return false;
    }
    keys.push_back(std::move(key).value());
  }
  state.modules.push_back(std::make_shared<JwksApi>(options.jwks_path, keys));
  spdlog::info("serving the public keys of {} signing key(s) at {}", keys.size(), options.jwks_path);
  return true;
}

}  // namespace crdex::server
