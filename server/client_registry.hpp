#pragma once
// The CDS clients crdex trusts (CDS Hooks §Trusting CDS Clients): each issuer
// (`iss`) with where its signing keys come from, read once at start-up from
// the clients file given by --clients (docs/security.md shows the format).
//
// Keys given inline or in a file are parsed here, once; keys behind a URL
// (jwks_url, or a token's jku from the issuer's allowlist) are fetched and
// cached by JwksCache.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/smart/jwk.hpp"
#include "crdex/smart/signing_key.hpp"

namespace crdex::server {

// An authorization server's token introspection endpoint (RFC 7662) and
// crdex's credentials for it ("introspection" of an entry in the file of
// --authorization-servers; token_introspection.hpp uses it).
struct IntrospectionEndpoint {
  std::string url;  // https, or http to loopback (tests)
  std::string client_id;
  enum class Auth { client_secret_basic, private_key_jwt } auth = Auth::client_secret_basic;
  std::string client_secret;  // client_secret_basic: read from "client_secret_file"; never logged
  // private_key_jwt: crdex's key ("key_file", "kid") and "algorithm" (RS384, ES384).
  std::shared_ptr<const smart::SigningKey> key;
  smart::JwsAlgorithm algorithm = smart::JwsAlgorithm::RS384;
  // "introspect_jwts": JWT access tokens of this issuer are introspected too
  // (so a revoked one is refused) instead of being verified locally.
  bool jwts = false;
};

struct TrustedClient {
  std::string iss;
  // Out-of-band keys (inline "jwks" or "jwks_file"); null when none.
  std::shared_ptr<const smart::Jwks> keys;
  // "jwks_url": where the issuer publishes its key set (https, or http to loopback).
  std::string jwks_url;
  // "jku": URLs a token's `jku` header may name. jwks_url is always allowed.
  std::vector<std::string> allowed_jku;
  // "tenant": when set, the token's `tenant` claim must equal it.
  std::optional<std::string> tenant;
  // "algorithms": this client's allowlist (default: ES384, RS384, RS256).
  std::vector<smart::JwsAlgorithm> algorithms;
  // "fhir_servers": the FHIR server base URLs this client's hook calls may
  // name as `fhirServer` (fhir_server_allowlist.hpp), trailing '/' removed.
  // Absent (nullopt): only servers on the origin of `iss`. Empty: none.
  std::optional<std::vector<std::string>> fhir_servers;
  // "introspection" (authorization servers only): where opaque access tokens
  // are introspected. An entry with it needs no keys unless it also issues JWTs.
  std::optional<IntrospectionEndpoint> introspection;

  bool jku_allowed(std::string_view jku) const;
  // Whether its JWTs can be verified here (inline keys, a key-set URL or a jku allowlist).
  bool has_keys() const;
};

struct ClientAuthSettings {
  int64_t clock_skew_seconds = 60;           // leeway for exp / iat / nbf
  int64_t max_token_lifetime_seconds = 3600;  // exp further ahead is refused (bounds the replay cache)
  int64_t jwks_min_refresh_seconds = 30;      // at most one fetch per URL this often (unknown kid, failures)
  int64_t jwks_max_age_seconds = 3600;        // a fetched key set is fetched again after this long
  size_t replay_cache_capacity = 1'000'000;   // jti entries kept at most
  int64_t introspection_cache_seconds = 60;   // an active introspection answer is reused this long at most
};

struct ClientRegistry {
  std::map<std::string, TrustedClient, std::less<>> clients;  // by iss
  ClientAuthSettings settings;

  const TrustedClient* find(std::string_view iss) const;
};

// Reads the clients file. Relative jwks_file paths are relative to the
// file's directory. Errors name the file and the JSON path. `list_key`: the
// member holding the issuers ("authorization_servers" in the file of
// --authorization-servers, which has the same form).
fhir::Result<ClientRegistry> load_client_registry(const std::filesystem::path& file,
                                                  std::string_view list_key = "clients");
// The same from JSON text (`base_dir` resolves jwks_file).
fhir::Result<ClientRegistry> parse_client_registry(std::string_view json, const std::filesystem::path& base_dir,
                                                   std::string_view list_key = "clients");

}  // namespace crdex::server
