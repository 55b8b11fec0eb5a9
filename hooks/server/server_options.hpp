#pragma once
// crdex-server's command line.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crdex/hooks/prefetch_fill.hpp"

namespace crdex::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  std::filesystem::path rules_dir = "examples/rules";
  std::filesystem::path data_dir = "crdex-data";
  size_t max_body_bytes = 1 << 20;
  int threads = 0;  // 0 = one per core
  std::chrono::milliseconds drain_timeout{10'000};
  std::string log_level = "info";
  // Direct Query: fetching prefetch the EHR did not send.
  hooks::PrefetchFillOptions fill;
  int query_workers = 8;  // threads for calls that may wait on the EHR's FHIR server
  // PAYER=FILE: the payer's publisher token is read from FILE and its hash
  // stored (replacing the payer's previous token).
  std::vector<std::string> publisher_tokens;
  bool allow_rule_trace = false;  // honour "crdex-rule-trace" in requests
  // CDS client authentication (docs/security.md): the trusted clients, or the
  // explicit opt-out. Neither: every service call is refused with 401.
  std::filesystem::path clients_file;
  bool insecure_no_client_auth = false;
  std::string public_url;                    // the base URL clients call (JWT aud); no trailing '/'
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-Proto/Host are believed
  // SMART launch helper: FILE with the EHR authorization server's token for
  // /smart/launches (empty: the launch API is off); launch lifetime.
  std::filesystem::path smart_launch_token_file;
  int launch_lifetime_seconds = 300;
  // KID=FILE: crdex's own private keys (PEM) for SMART Backend Services; their
  // public JWKS is served at jwks_path.
  std::vector<std::string> signing_keys;
  std::string jwks_path = "/.well-known/jwks.json";
};

// Parses argv. On --help or a usage error it prints and returns the exit code
// to end with; otherwise the options.
struct ParsedOptions {
  std::optional<ServerOptions> options;
  int exit_code = 0;
};
ParsedOptions parse_server_options(int argc, char** argv);

}  // namespace crdex::server
