// crdex-server: loads the payer rules, serves CDS Hooks over HTTP, and drains
// calls in flight on SIGTERM / SIGINT before it exits 0.

#include <pistache/endpoint.h>
#include <signal.h>
#include <sys/stat.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <iostream>

#include <fstream>
#include <thread>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/config/stored_catalog.hpp"
#include "crdex/fhir/store_location.hpp"
#include "crdex/fhir/token_file.hpp"
#include "crdex/hooks/rule_sync.hpp"
#include "crdex/smart/jti_ledger.hpp"
#include "crdex/hooks/engine.hpp"
#include "admin_api.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/feedback_store.hpp"
#include "feedback_api.hpp"
#include "access_gate_setup.hpp"
#include "cdex_services.hpp"
#include "audit_setup.hpp"
#include "client_auth.hpp"
#include "console_api.hpp"
#include "http_front.hpp"
#include "jwks_api.hpp"
#include "launch_api.hpp"
#include "log_format.hpp"
#include "request_size_gate.hpp"
#include "metrics_api.hpp"
#include "fhir_metadata_api.hpp"
#include "openapi_api.hpp"
#include "probes.hpp"
#include "rules_api.hpp"
#include "server_options.hpp"
#include "version.hpp"

namespace {

using crdex::server::ServerOptions;

// Signals are taken by sigwait in main, never by a handler on a random
// thread, so the blocked set must be in place before any thread starts.
sigset_t block_termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not end the process
  return set;
}

// --data holds PHI (audit, attachments, exports): the directory is 0700, and
// the process umask (077, set in main) makes every file in it 0600.
bool prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    spdlog::critical("--data {}: cannot create the directory ({})", dir.string(), ec.message());
    return false;
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  if (ec) {
    spdlog::critical("--data {}: cannot make the directory private (0700): {}", dir.string(), ec.message());
    return false;
  }
  return true;
}

// --publisher-token PAYER=FILE: stores the hash of the token in FILE.
bool configure_publisher_tokens(const ServerOptions& options, crdex::config::RuleStore& store) {
  for (const auto& entry : options.publisher_tokens) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size()) {
      spdlog::critical("--publisher-token {}: expected PAYER=FILE", entry);
      return false;
    }
    const std::string payer = entry.substr(0, equals);
    auto token = crdex::fhir::read_token_file(entry.substr(equals + 1), "--publisher-token " + payer + "=");
    if (!token) {
      spdlog::critical("{}", token.error().message);
      return false;
    }
    if (auto stored = store.set_publisher_token(payer, *token); !stored) {
      spdlog::critical("--publisher-token {}: {}", entry, stored.error().message);
      return false;
    }
  }
  return true;
}

// crdex-server speaks plain HTTP and has Pistache's weaknesses against slow
// or hostile clients (docs/deploy.md): anything but loopback must be behind
// nginx terminating TLS. Say so loudly when the listen address is not loopback.
void warn_when_exposed(const std::string& host) {
  const bool loopback = host == "localhost" || host == "::1" || host.starts_with("127.");
  if (loopback) return;
  spdlog::warn("*** crdex-server is listening on {}, which is not a loopback address. It speaks plain HTTP "
               "without TLS and is not hardened against slow or hostile clients: put nginx (TLS, limits, "
               "time-outs) in front and listen on 127.0.0.1 (see docs/deploy.md). ***",
               host);
}

// CDS client authentication: on unless explicitly switched off. With no
// clients file it stays on and refuses every service call.
bool configure_client_auth(const ServerOptions& options, const crdex::fhir::StoreLocation& store,
                           crdex::server::FrontState& state) {
  state.called_url = {options.public_url, options.trusted_proxies};
  if (options.insecure_no_client_auth) {
    spdlog::warn("*** --insecure-no-client-auth: hook calls are served WITHOUT checking the CDS client's JWT. "
                 "Never run this way outside local testing. ***");
    return true;
  }
  crdex::server::ClientRegistry registry;
  if (!options.clients_file.empty()) {
    auto loaded = crdex::server::load_client_registry(options.clients_file);
    if (!loaded) {
      spdlog::critical("--clients {}", loaded.error().message);
      return false;
    }
    registry = std::move(loaded).value();
    spdlog::info("CDS client authentication on: {} trusted client(s)", registry.clients.size());
  } else {
    spdlog::warn("no --clients file: every hook call will be refused (401). Give --clients FILE, or for local "
                 "testing only --insecure-no-client-auth");
  }
  auto client_auth = std::make_shared<crdex::server::ClientAuthenticator>(std::move(registry));
  if (store.is_postgresql()) {  // replicas refuse a jti any of them accepted
    auto ledger = crdex::smart::open_postgres_jti_ledger(store.postgres_url);
    if (!ledger) {
      spdlog::critical("{}", ledger.error().message);
      return false;
    }
    client_auth->share_replay_ledger(std::move(ledger).value());
  }
  state.client_auth = std::move(client_auth);
  return true;
}

// The levels and totals other components keep, read at each /metrics scrape.
void add_metric_samplers(crdex::server::Metrics& metrics, const std::shared_ptr<crdex::server::FrontState>& state,
                         const std::shared_ptr<crdex::hooks::AuditLog>& audit) {
  std::weak_ptr<crdex::server::FrontState> weak = state;
  metrics.add_sampler([weak, audit](crdex::server::Metrics& m) {
    const auto front = weak.lock();
    if (!front) return;
    m.set_gauge("crdex_in_flight_calls", {}, front->in_flight());
    if (front->query_workers) {
      m.set_gauge("crdex_worker_pool_queued", {}, static_cast<double>(front->query_workers->queued()));
      m.set_gauge("crdex_worker_pool_busy", {}, static_cast<double>(front->query_workers->busy()));
    }
    const auto audited = audit->stats();
    m.set_gauge("crdex_audit_queue_depth", {}, static_cast<double>(audited.queued));
    m.set_total("crdex_audit_written_total", {}, static_cast<double>(audited.written));
    m.set_total("crdex_audit_dropped_total", {}, static_cast<double>(audited.dropped));
    m.set_total("crdex_audit_busy_refusals_total", {}, static_cast<double>(audited.busy_refusals));
    m.set_total("crdex_audit_purged_for_size_total", {}, static_cast<double>(audited.purged_for_size));
    m.set_total("crdex_store_errors_total", {{"store", "audit"}}, static_cast<double>(audited.failed));
    const auto counts = front->engine->counts();
    m.set_total("crdex_prefetch_queries_total", {}, static_cast<double>(counts.prefetch_queries));
    m.set_total("crdex_prefetch_failures_total", {}, static_cast<double>(counts.prefetch_failures));
    m.set_total("crdex_rule_publishes_total", {}, static_cast<double>(counts.rules_replaced));
    if (const auto rules = front->engine->rules())
      for (const auto& payer : rules->payers())
        m.set_gauge("crdex_rule_set_version", {{"payer", payer.payer_id}}, payer.version);
  });
}

int serve(const ServerOptions& options, const sigset_t& signals) {
  if (!prepare_data_dir(options.data_dir)) return 2;
  auto store_location = crdex::fhir::parse_store_location(options.store_url, options.data_dir);
  if (!store_location) {
    spdlog::critical("{}", store_location.error().message);
    return 2;
  }
  spdlog::info("store: {}", store_location->describe());
  auto opened = crdex::config::open_rule_store(*store_location);
  if (!opened) {
    spdlog::critical("{}", opened.error().message);
    return 2;
  }
  std::shared_ptr<crdex::config::RuleStore> store = std::move(opened).value();
  auto seeded = crdex::config::seed_empty_store(*store, options.rules_dir);
  if (!seeded) {
    spdlog::critical("cannot load payer rules: {}", seeded.error().message);
    return 2;
  }
  if (*seeded > 0) spdlog::info("seeded the rule store with {} payer(s) from {}", *seeded, options.rules_dir.string());
  const auto generation_at_load = store->generation();  // before the catalog: a change meanwhile is seen later
  if (!generation_at_load) {
    spdlog::critical("{}", generation_at_load.error().message);
    return 2;
  }
  auto rules = crdex::config::load_current_catalog(*store);
  if (!rules) {
    spdlog::critical("cannot load payer rules from the store: {}", rules.error().message);
    return 2;
  }
  spdlog::info("serving the current rules of {} payer(s)", (*rules)->payers().size());
  if (!configure_publisher_tokens(options, *store)) return 2;

  std::optional<crdex::server::AdminToken> admin_token;
  if (!options.admin_token_file.empty()) {
    std::string problem;
    admin_token = crdex::server::AdminToken::from_file(options.admin_token_file, problem);
    if (!admin_token) {
      spdlog::critical("{}", problem);
      return 2;
    }
  }
  auto audit = crdex::server::open_configured_audit_log(options, *store_location);
  auto feedback_opened = crdex::hooks::open_feedback_store(*store_location);
  if (!audit || !feedback_opened) {
    if (!feedback_opened) spdlog::critical("{}", feedback_opened.error().message);
    return 2;
  }
  std::shared_ptr<crdex::hooks::FeedbackStore> feedback = std::move(feedback_opened).value();

  auto state = std::make_shared<crdex::server::FrontState>();
  state->engine = std::make_shared<crdex::hooks::Engine>(std::move(rules).value(), options.fill);
  state->engine->allow_rule_trace(options.allow_rule_trace);
  state->engine->set_log_sink([](crdex::hooks::LogLevel level, std::string_view message) {
    using L = crdex::hooks::LogLevel;
    spdlog::log(level == L::error     ? spdlog::level::err
                : level == L::warning ? spdlog::level::warn
                : level == L::info    ? spdlog::level::info
                                      : spdlog::level::debug,
                "{}", message);
  });
  auto publisher = std::make_shared<crdex::hooks::RulePublisher>(store, state->engine, *generation_at_load);
  state->modules.push_back(std::make_shared<crdex::server::RulesApi>(publisher, audit));
  // Publishes made through another replica (or crdex-rules) reach this one.
  crdex::hooks::RuleSync rule_sync(publisher, {.check_interval = std::chrono::milliseconds(500),
                                               .report = [](bool error, const std::string& message) {
                                                 if (error) spdlog::error("{}", message);
                                                 else spdlog::info("{}", message);
                                               }});
  state->audit = audit;
  state->audit_bodies = options.audit_bodies;
  state->modules.push_back(std::make_shared<crdex::server::FeedbackApi>(feedback));
  state->modules.push_back(std::make_shared<crdex::server::AdminApi>(admin_token, audit, feedback));
  // CDex Tasks, attachments, Bulk exports and pushes, with their threads.
  auto cdex = crdex::server::start_cdex_services(options, *store_location, *state);
  if (!cdex) return 2;
  if (!crdex::server::configure_smart_launch(options, *state)) return 2;
  if (!crdex::server::configure_jwks(options, *state)) return 2;
  if (!crdex::server::configure_console(options, *state)) return 2;
  state->max_body_bytes = options.max_body_bytes;
  state->max_header_bytes = options.max_header_bytes;
  state->max_in_flight = options.max_in_flight;
  state->cors_origins = options.cors_origins;
  state->query_workers = std::make_shared<crdex::server::WorkerPool>(options.query_workers, options.query_queue);
  if (!configure_client_auth(options, *store_location, *state)) return 2;
  if (!crdex::server::configure_access_gate(options, *state)) return 2;
  if (!crdex::server::configure_outbound_policy(options, *state)) return 2;
  if (options.rate_limit_per_minute > 0)
    state->rate_limiter = std::make_shared<crdex::server::RateLimiter>(options.rate_limit_per_minute);
  state->metrics = std::make_shared<crdex::server::Metrics>();
  add_metric_samplers(*state->metrics, state, audit);
  state->modules.push_back(std::make_shared<crdex::server::MetricsApi>(state->metrics, admin_token));
  // SQLite: every store file is probed. PostgreSQL: the rule store is probed
  // through the store itself (all_current), and every other store shares it.
  std::vector<std::filesystem::path> store_files;
  if (!store_location->is_postgresql()) {
    for (const char* file : {"rules.sqlite", "audit.sqlite", "exports.sqlite", "attachments.sqlite", "push.sqlite"})
      store_files.push_back(store_location->sqlite_dir / file);
  }
  auto readiness = std::make_shared<crdex::server::Readiness>(std::move(store_files), store, state->engine);
  state->modules.push_back(std::make_shared<crdex::server::ProbesApi>(readiness));
  state->modules.push_back(std::make_shared<crdex::server::OpenApiApi>());
  // Last: [base]/metadata for every FHIR base the modules above serve.
  state->modules.push_back(std::make_shared<crdex::server::FhirMetadataApi>(
      *state, state->modules, options.public_url, crdex::server::version_number()));
  if (!state->build_routes()) {
    spdlog::critical("the route table refused a route (no access policy, or a method and path served twice)");
    return 2;
  }
  if (options.print_routes) {
    for (const auto& route : state->routes.routes())
      std::cout << Pistache::Http::methodString(route.method) << ' ' << route.pattern << ' '
                << crdex::server::access_policy_name(route.policy) << '\n';
    std::cout << std::flush;
    cdex->stop();
    audit->close();
    return 0;
  }

  Pistache::Http::Endpoint endpoint(Pistache::Address(options.host, Pistache::Port(options.port)));
  // crdex's request parser enforces the limits (413 / 431 with an
  // OperationOutcome, request_size_gate.hpp); Pistache's own limit stays behind it.
  endpoint.init(Pistache::Http::Endpoint::options()
                    .threads(options.threads)
                    .flags(Pistache::Tcp::Options::ReuseAddr)
                    .maxRequestSize(crdex::server::SizeGatedParser::pistache_limit(
                        {options.max_body_bytes, options.max_header_bytes}))
                    .headerTimeout(options.header_timeout)
                    .bodyTimeout(options.body_timeout)
                    .keepaliveTimeout(options.keepalive_timeout));
  endpoint.setHandler(Pistache::Http::make_handler<crdex::server::HttpFront>(state));
  // serveThreaded() binds the listener itself (Pistache 0.0.5): calling
  // bind() first would bind twice, so a fixed port would be "in use" by
  // ourselves and port 0 would open two sockets. Bind once, here.
  try {
    endpoint.serveThreaded();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", options.host, options.port, e.what());
    return 2;
  }
  warn_when_exposed(options.host);

  const bool ipv6 = options.host.find(':') != std::string::npos;
  std::cout << "crdex-server listening on http://" << (ipv6 ? "[" : "") << options.host << (ipv6 ? "]" : "") << ":"
            << static_cast<uint16_t>(endpoint.getPort()) << std::endl;

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  // Readiness off first, so a load balancer stops sending; calls are still
  // served through the grace period, then the drain refuses new ones.
  readiness->begin_shutdown();
  if (options.drain_grace.count() > 0) {
    spdlog::info("signal {} received: not ready; serving {} ms more before draining", signal_number,
                 options.drain_grace.count());
    std::this_thread::sleep_for(options.drain_grace);
  }
  spdlog::info("signal {} received: draining calls in flight", signal_number);
  // CDex first: the work in hand finishes, the rest stays stored for the next
  // start, and calls waiting on a consumer request (?wait-ms) answer now.
  cdex->stop_tasks();
  if (!state->drain(options.drain_timeout))
    spdlog::warn("calls still in flight after {} ms; shutting down anyway", options.drain_timeout.count());
  state->query_workers->stop();  // answers its queued calls before the endpoint goes
  cdex->stop();                  // export steps and push attempts in progress end committed
  endpoint.shutdown();
  audit->close();  // writes every queued call before the process ends
  spdlog::info("audit log closed: {} call(s) recorded, {} dropped", audit->stats().written, audit->stats().dropped);
  spdlog::info("stopped");
  return 0;
}

// --print-routes needs the modules, and the modules open their stores: they
// open them in a scratch directory of their own, removed afterwards, so
// printing the route table never creates or changes a deployment's data.
int print_routes(ServerOptions options, const sigset_t& signals) {
  std::string pattern = (std::filesystem::temp_directory_path() / "crdex-print-routes-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    spdlog::critical("--print-routes: cannot create a scratch directory: {}", std::strerror(errno));
    return 2;
  }
  const std::filesystem::path scratch = pattern;
  options.data_dir = scratch;
  options.store_url.clear();
  const int status = serve(options, signals);
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  umask(077);  // every file crdex-server creates (stores, exports) is readable by its user only
  const sigset_t signals = block_termination_signals();
  auto parsed = crdex::server::parse_server_options(argc, argv, crdex::server::version_text());
  if (!parsed.options) return parsed.exit_code;

  // Logs go to stderr; stdout carries only the "listening on" line.
  crdex::server::start_server_log(
      crdex::server::parse_log_format(parsed.options->log_format).value_or(crdex::server::LogFormat::text),
      spdlog::level::from_str(parsed.options->log_level));
  try {
    if (parsed.options->print_routes) return print_routes(*parsed.options, signals);
    return serve(*parsed.options, signals);
  } catch (const std::exception& e) {
    spdlog::critical("crdex-server failed: {}", e.what());
    return 1;
  }
}
