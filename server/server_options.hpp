#pragma once
// crdex-server's command line.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cdex_options.hpp"
#include "crdex/hooks/prefetch_fill.hpp"

namespace crdex::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  std::filesystem::path rules_dir = "examples/rules";
  std::filesystem::path data_dir = "crdex-data";
  // --store: "" or sqlite:DIR (the embedded SQLite stores, under --data when
  // empty) or postgresql://... (shared by replicas); see fhir/store_location.hpp.
  std::string store_url;
  // The web console's files; empty: share/crdex/console beside bin/ (console_api.hpp).
  std::filesystem::path console_dir;
  // The FHIR server whose patients the console's EHR view offers (empty: the
  // example patients only; console_patients.hpp).
  std::string console_fhir_server;
  size_t max_body_bytes = 1 << 20;
  // Request line plus headers; Pistache counts them against one limit with
  // the body, so the server allows max_body_bytes + max_header_bytes in all.
  size_t max_header_bytes = 32 << 10;
  // Pistache's client time-outs: for the whole header, for the body, and for
  // an idle kept-alive connection (Pistache's own defaults are 60 s to 300 s).
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keepalive_timeout{60'000};
  // Calls in flight beyond which new ones get 503 + Retry-After; calls that
  // may wait for a query worker beyond which likewise.
  int max_in_flight = 256;
  size_t query_queue = 64;
  // Browser origins allowed by CORS (exact Origin values).
  std::vector<std::string> cors_origins;
  int threads = 0;  // 0 = one per core
  std::chrono::milliseconds drain_timeout{10'000};
  // On SIGTERM/SIGINT readiness turns 503 at once; calls are still served
  // for this long (a load balancer notices and stops sending) before the
  // drain refuses new ones (probes.hpp).
  std::chrono::milliseconds drain_grace{0};
  std::string log_level = "info";
  std::string log_format = "text";  // log_format.hpp
  // Direct Query: fetching prefetch the EHR did not send.
  hooks::PrefetchFillOptions fill;
  int query_workers = 8;  // threads for calls that may wait on the EHR's FHIR server
  // PAYER=FILE: the payer's publisher token is read from FILE and its hash
  // stored (replacing the payer's previous token).
  std::vector<std::string> publisher_tokens;
  bool allow_rule_trace = false;  // honour "crdex-rule-trace" in requests
  // Audit log (audit.sqlite beside the other stores, or the --store PostgreSQL database) and the admin API.
  int audit_retention_days = 365;  // 0 keeps every call
  size_t audit_queue = 10'000;     // records waiting for the writer before new ones are dropped
  size_t audit_high_water = 0;     // hook calls get 503 from this many records waiting; 0: 80 % of audit_queue
  uint64_t audit_max_bytes = uint64_t{10} << 30;  // the oldest calls are purged above this; 0: no bound
  bool audit_bodies = false;       // keep hook request / response bodies (PHI); default: compact records
  std::filesystem::path admin_token_file;  // empty: the admin API answers 403
  CdexOptions cdex;               // CDex task-based requests, both roles
  // Bulk Data exports: the status-poll interval is the server's Retry-After clamped to these.
  std::chrono::milliseconds bulk_poll_min{1000};
  std::chrono::milliseconds bulk_poll_max{300'000};
  // Provider-initiated pushes (POST /events, docs/cdex.md): attempts per item
  // before it is failed, and the exponential backoff between them.
  int push_max_attempts = 8;
  std::chrono::milliseconds push_backoff_min{1000};
  std::chrono::milliseconds push_backoff_max{300'000};
  // CDS client authentication (docs/security.md): the trusted clients, or the
  // explicit opt-out. Neither: every service call is refused with 401.
  std::filesystem::path clients_file;
  bool insecure_no_client_auth = false;
  std::string public_url;                    // the base URL clients call (JWT aud); no trailing '/'
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-Proto/Host are believed
  // The access gate (access_gate.hpp): operators with roles, and the
  // authorization servers whose SMART Backend Services access tokens crdex
  // accepts (their `aud` must be access_token_audience, else public_url).
  std::filesystem::path operators_file;
  std::filesystem::path authorization_servers_file;
  // Internal addresses crdex may call ("10.1.2.3", "127.0.0.1:8090", "[::1]:9000");
  // every other loopback, link-local or private address is refused (outbound_policy.hpp).
  std::vector<std::string> outbound_allowed_addresses;
  // The named places crdex sends to (outbox, CDex consumer, Bulk exports) and
  // their outbound credentials (destinations.hpp); none: such requests are refused.
  std::filesystem::path destinations_file;
  int rate_limit_per_minute = 0;  // per CDS client, operator or system; 0: no limit
  bool print_routes = false;  // print "METHOD PATTERN POLICY" per route and exit (tests, reviews)
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
// `version`, when given, is printed by --version (which then ends with 0).
ParsedOptions parse_server_options(int argc, char** argv, const std::string& version = {});

}  // namespace crdex::server
