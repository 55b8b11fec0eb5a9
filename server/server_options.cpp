#include "server_options.hpp"

#include <CLI/CLI.hpp>
#include <thread>

#include "config_file.hpp"
#include "crdex/fhir/store_location.hpp"

namespace crdex::server {

namespace {

// "HOST:PORT" -> host, port. IPv6 hosts are written in brackets: [::1]:8080.
bool split_listen(const std::string& listen, std::string& host, uint16_t& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    size_t used = 0;
    const unsigned long value = std::stoul(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || value > 65535) return false;
    port = static_cast<uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

ParsedOptions parse_server_options(int argc, char** argv, const std::string& version) {
  ServerOptions options;
  CLI::App app{
      "crdex-server: a CDS Hooks service that answers Da Vinci CRD coverage requirements from payer rules.\n"
      "Serves plain HTTP; in production put nginx (TLS) in front of it."};
  if (!version.empty()) app.set_version_flag("--version", version, "print the version, git commit and plugin ABI");
  std::string listen = "127.0.0.1:8080";
  app.add_option("--listen", listen, "HOST:PORT to listen on; port 0 picks a free one")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--rules", options.rules_dir,
                 "directory of payer rule files (crdex-rules/1 JSON) that seed an empty rule store")
      ->capture_default_str();
  app.add_option("--data", options.data_dir,
                 "directory for crdex's own state, e.g. the rule store rules.sqlite (created if missing)")
      ->capture_default_str();
  app.add_option("--store", options.store_url,
                 "where the shared state lives: sqlite:DIR (the default: SQLite files under --data) or "
                 "postgresql://user@host:port/database (one database every replica shares: so far the rule "
                 "store, the CDS clients' jti replay cache and SMART launches; docs/deploy.md)")
      ->check([](const std::string& url) {
        auto location = fhir::parse_store_location(url, ".");
        return location ? std::string() : location.error().message;
      });
  app.add_option("--max-body-bytes", options.max_body_bytes, "largest request body accepted (413 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, size_t{256} << 20));
  app.add_option("--max-header-bytes", options.max_header_bytes,
                 "largest request line plus headers accepted (on top of --max-body-bytes)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, size_t{1} << 20));
  int header_ms = static_cast<int>(options.header_timeout.count());
  int body_ms = static_cast<int>(options.body_timeout.count());
  int keepalive_ms = static_cast<int>(options.keepalive_timeout.count());
  app.add_option("--header-timeout-ms", header_ms, "how long a client may take to send the request headers (408)")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  app.add_option("--body-timeout-ms", body_ms, "how long a client may take to send the request body (408)")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  app.add_option("--keepalive-timeout-ms", keepalive_ms, "how long an idle kept-alive connection stays open")
      ->capture_default_str()
      ->check(CLI::Range(100, 3'600'000));
  app.add_option("--max-in-flight", options.max_in_flight,
                 "calls in flight beyond which new calls get 503 with Retry-After")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  app.add_option("--query-queue", options.query_queue,
                 "calls that may wait for a busy query worker; beyond it, 503 with Retry-After")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{100'000}));
  app.add_option("--cors-origin", options.cors_origins,
                 "a browser origin (e.g. https://ehr.example.org) allowed to call crdex (CORS); repeatable");
  app.add_option("--threads", options.threads, "HTTP worker threads (0 = one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  int drain_ms = static_cast<int>(options.drain_timeout.count());
  app.add_option("--drain-timeout-ms", drain_ms, "on SIGTERM/SIGINT, how long to wait for calls in flight")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  int grace_ms = static_cast<int>(options.drain_grace.count());
  app.add_option("--drain-grace-ms", grace_ms,
                 "on SIGTERM/SIGINT, how long /health/ready answers 503 while calls are still served, before the "
                 "drain starts")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  app.add_option("--publisher-token", options.publisher_tokens,
                 "PAYER=FILE: FILE holds PAYER's publisher token for the rules API (only its hash is stored); "
                 "repeatable. `crdex-rules issue-token` creates tokens too");
  app.add_flag("--allow-rule-trace", options.allow_rule_trace,
               "let hook requests ask for the rule evaluation trace (davinci-crd.configuration "
               "\"crdex-rule-trace\": true)");
  app.add_option("--smart-launch-token", options.smart_launch_token_file,
                 "FILE holding the EHR authorization server's token for the SMART launch API /smart/launches "
                 "(only its hash is kept); turns the launch API on (docs/smart.md)");
  app.add_option("--launch-lifetime-seconds", options.launch_lifetime_seconds,
                 "how long a SMART launch id stays usable")
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400));
  app.add_option("--signing-key", options.signing_keys,
                 "KID=FILE: a private key (PEM, RSA >= 2048 or EC P-384) crdex signs SMART client assertions with; "
                 "its public JWK is served at --jwks-path; repeatable");
  app.add_option("--jwks-path", options.jwks_path, "where crdex serves the JWKS of its --signing-key keys")
      ->capture_default_str();
  app.add_option("--console-dir", options.console_dir,
                 "folder of the web console served under /console/ (default: share/crdex/console beside bin/)");
  app.add_option("--console-fhir-server", options.console_fhir_server,
                 "FHIR server base URL whose patients the console's EHR view lists (GET /console/api/patients)");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--log-format", options.log_format,
                 "text (for a person) or json (one JSON object per line: time, level, message, request_id, service, "
                 "payer, status, duration_ms)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));

  int fill_ms = static_cast<int>(options.fill.budget.count());
  app.add_option("--prefetch-timeout-ms", fill_ms,
                 "how long fetching missing prefetch from the EHR's FHIR server may take per call")
      ->capture_default_str()
      ->check(CLI::Range(1, 60'000));
  app.add_option("--fhir-max-pages", options.fill.max_pages, "pages followed per search (Bundle.link next)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_flag("--fhir-allow-http", options.fill.allow_plain_http,
               "send access tokens over plain http to non-loopback FHIR servers (never in production)");
  int cache_ms = static_cast<int>(options.fill.cache.ttl.count());
  app.add_option("--prefetch-cache-ms", cache_ms,
                 "how long data order-select/encounter-start fetched is kept for a later order-sign (0: off)")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  app.add_option("--query-workers", options.query_workers, "threads for calls that query the EHR's FHIR server")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));

  app.add_option("--audit-retention-days", options.audit_retention_days,
                 "days the audit log keeps hook calls (audit.sqlite, or the --store database); 0 keeps them all")
      ->capture_default_str()
      ->check(CLI::Range(0, 36'500));
  app.add_option("--audit-max-bytes", options.audit_max_bytes,
                 "bound on the audit log's size (audit.sqlite pages in use; on PostgreSQL its rows): above it the oldest "
                 "calls are purged; "
                 "a number of bytes or with a unit (512MB, 10GB; 1KB = 1024 bytes); 0: no bound")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("10GB");
  app.add_option("--audit-queue", options.audit_queue,
                 "hook calls waiting to be written to the audit log before further ones are dropped")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{10'000'000}));
  app.add_option("--audit-high-water", options.audit_high_water,
                 "hook calls get 503 with Retry-After: 1 (before any work) while this many records wait for the "
                 "audit writer, so no answered call goes unaudited; below --audit-queue; 0: 80 % of --audit-queue")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{10'000'000}));
  app.add_flag("--audit-bodies", options.audit_bodies,
               "keep each hook call's request and response bodies (PHI) in the audit log; default: a compact record "
               "(hook, ids, patient, payer, status, duration, card origins, SHA-256 and size of the bodies)");
  app.add_option("--admin-token-file", options.admin_token_file,
                 "file whose first line is the admin API's bearer token (/admin/...; only its hash is kept)");
  add_cdex_options(app, options.cdex);
  // Bulk Data exports (bulk_export_runner.hpp): bounds on the status-poll interval.
  int bulk_min_ms = static_cast<int>(options.bulk_poll_min.count());
  int bulk_max_ms = static_cast<int>(options.bulk_poll_max.count());
  app.add_option("--bulk-poll-min-ms", bulk_min_ms, "shortest wait between Bulk Data status polls")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  app.add_option("--bulk-poll-max-ms", bulk_max_ms, "longest wait between Bulk Data status polls")
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400'000));
  // Provider-initiated pushes (push_sender.hpp): attempts and backoff.
  int push_min_ms = static_cast<int>(options.push_backoff_min.count());
  int push_max_ms = static_cast<int>(options.push_backoff_max.count());
  app.add_option("--push-max-attempts", options.push_max_attempts,
                 "attempts to send a queued push (POST /events) before it is marked failed")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--push-backoff-min-ms", push_min_ms,
                 "wait after a push's first failed attempt; doubled after each next one (a longer Retry-After wins)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  app.add_option("--push-backoff-max-ms", push_max_ms, "longest wait between a push's attempts")
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400'000));
  app.add_option("--clients", options.clients_file,
                 "JSON file of the CDS clients allowed to call the services: issuer, keys (JWKS inline, file or "
                 "URL), tenant (docs/security.md)");
  app.add_flag("--insecure-no-client-auth", options.insecure_no_client_auth,
               "serve hook calls without checking the client's JWT (local testing only)");
  app.add_option("--public-url", options.public_url,
                 "base URL the EHR calls, e.g. https://crd.example.org: the JWT aud is checked against it");
  app.add_option("--operators", options.operators_file,
                 "JSON file of the operators: name, SHA-256 of their bearer token, roles (attachments, bulk, admin), "
                 "payers (docs/security.md)");
  app.add_option("--authorization-servers", options.authorization_servers_file,
                 "JSON file of the authorization servers whose SMART Backend Services access tokens crdex accepts: "
                 "iss, keys, algorithms; \"audience\" (default --public-url); \"introspection\": the endpoint where "
                 "opaque tokens are introspected (RFC 7662) and crdex's client credentials there (docs/security.md)");
  app.add_option("--outbound-allow-address", options.outbound_allowed_addresses,
                 "an internal IP address (optionally :PORT) crdex may call; others (loopback, link-local, private) "
                 "are refused; repeatable");
  app.add_option("--destinations", options.destinations_file,
                 "JSON file of the places crdex sends to (attachments outbox, CDex consumer, Bulk exports): name, "
                 "base URL, SMART Backend Services client or token file; a request may name only these "
                 "(docs/security.md)")
      ->check(CLI::ExistingFile);
  app.add_option("--rate-limit", options.rate_limit_per_minute,
                 "calls a minute each CDS client, operator or system may make (burst as large); over it: 429 with "
                 "Retry-After; 0: no limit")
      ->capture_default_str()
      ->check(CLI::Range(0, 10'000'000));
  app.add_flag("--print-routes", options.print_routes,
               "print every route (method, path pattern, access policy) as configured, then exit");
  app.add_option("--trusted-proxy", options.trusted_proxies,
                 "IP address of a proxy whose X-Forwarded-Proto / X-Forwarded-Host name the called URL; repeatable");

  std::string config_file;
  app.add_option("--config", config_file,
                 "TOML file of options: each key is a flag's name without \"--\" (examples/crdex.toml); flags given "
                 "on the command line override it");

  // The file's options go before the command line's, which override them.
  std::vector<std::string> arguments(argv, argv + argc);
  if (const auto file = config_file_argument(argc, argv)) {
    std::vector<std::string> given;
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg.starts_with("--")) given.emplace_back(arg.substr(0, arg.find('=')));
    }
    const auto lookup = [&app](std::string_view name) {
      const CLI::Option* option = app.get_option_no_throw("--" + std::string(name));
      if (!option) return FlagShape{};
      return FlagShape{true, option->get_expected_max() == 0, option->get_expected_max() > 1};
    };
    auto from_file = config_file_arguments(*file, lookup, given);
    if (!from_file.error.empty()) {
      std::cerr << "--config " << from_file.error << "\n";
      return {std::nullopt, 2};
    }
    arguments.insert(arguments.begin() + 1, from_file.arguments.begin(), from_file.arguments.end());
  }
  std::vector<char*> argument_pointers;
  for (auto& argument : arguments) argument_pointers.push_back(argument.data());

  try {
    app.parse(static_cast<int>(argument_pointers.size()), argument_pointers.data());
  } catch (const CLI::ParseError& e) {
    // --help prints and ends with 0; every usage error ends with 2.
    return {std::nullopt, app.exit(e) == 0 ? 0 : 2};
  }
  if (!split_listen(listen, options.host, options.port)) {
    std::cerr << "--listen: expected HOST:PORT, got \"" << listen << "\"\n";
    return {std::nullopt, 2};
  }
  // --store sqlite:DIR is --data DIR: every SQLite store lives there.
  if (auto location = fhir::parse_store_location(options.store_url, options.data_dir);
      location && !location->is_postgresql())
    options.data_dir = location->sqlite_dir;
  while (options.public_url.ends_with('/')) options.public_url.pop_back();
  if (!options.public_url.empty() && !options.public_url.starts_with("https://") &&
      !options.public_url.starts_with("http://")) {
    std::cerr << "--public-url: expected an http(s) URL, got \"" << options.public_url << "\"\n";
    return {std::nullopt, 2};
  }
  if (options.insecure_no_client_auth && !options.clients_file.empty()) {
    std::cerr << "--insecure-no-client-auth and --clients exclude each other\n";
    return {std::nullopt, 2};
  }
  options.drain_timeout = std::chrono::milliseconds(drain_ms);
  options.drain_grace = std::chrono::milliseconds(grace_ms);
  options.header_timeout = std::chrono::milliseconds(header_ms);
  options.body_timeout = std::chrono::milliseconds(body_ms);
  options.keepalive_timeout = std::chrono::milliseconds(keepalive_ms);
  options.fill.budget = std::chrono::milliseconds(fill_ms);
  options.fill.cache.ttl = std::chrono::milliseconds(cache_ms);
  options.bulk_poll_min = std::chrono::milliseconds(bulk_min_ms);
  options.bulk_poll_max = std::chrono::milliseconds(std::max(bulk_min_ms, bulk_max_ms));
  options.push_backoff_min = std::chrono::milliseconds(push_min_ms);
  options.push_backoff_max = std::chrono::milliseconds(std::max(push_min_ms, push_max_ms));
  if (options.threads == 0) options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return {options, 0};
}

}  // namespace crdex::server
