#pragma once
// crdex's own public keys as a JWK Set (RFC 7517), at --jwks-path, so an EHR's
// authorization server can verify the private_key_jwt assertions crdex signs
// as a SMART Backend Services client (smart/backend_services.hpp). SMART
// asks that this URL need no authentication; it carries public keys only.

#include <pistache/http.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api_module.hpp"
#include "crdex/smart/signing_key.hpp"
#include "http_front.hpp"
#include "server_options.hpp"

namespace crdex::server {

class JwksApi final : public ApiModule {
 public:
  JwksApi(std::string path, const std::vector<smart::SigningKey>& keys);

  // GET {--jwks-path}: public, like any published key set.
  std::vector<Route> routes() const override;

 private:
  ApiAnswer serve() const;

  std::string path_;
  std::string document_;  // built once: the keys do not change while serving
};

// The algorithm a key is published for: RS384 for RSA keys, ES384 for P-384.
smart::JwsAlgorithm published_algorithm(const smart::SigningKey& key);

// With --signing-key KID=FILE (repeatable): loads the keys and serves their
// JWKS at --jwks-path. False (logged) when a key cannot be used.
bool configure_jwks(const ServerOptions& options, FrontState& state);

}  // namespace crdex::server
