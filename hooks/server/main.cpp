// crdex-server: loads the payer rules, serves CDS Hooks over HTTP, and drains
// calls in flight on SIGTERM / SIGINT before it exits 0.

#include <pistache/endpoint.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include <fstream>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/config/stored_catalog.hpp"
#include "crdex/hooks/engine.hpp"
#include "client_auth.hpp"
#include "http_front.hpp"
#include "jwks_api.hpp"
#include "launch_api.hpp"
#include "rules_api.hpp"
#include "server_options.hpp"

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

bool prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    spdlog::critical("--data {}: cannot create the directory ({})", dir.string(), ec.message());
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
    std::ifstream in(entry.substr(equals + 1));
    std::string token;
    if (!in || !std::getline(in, token)) {
      spdlog::critical("--publisher-token {}: cannot read the token file", entry);
      return false;
    }
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (token.size() < 16) {
      spdlog::critical("--publisher-token {}: a token needs at least 16 characters", entry);
      return false;
    }
    if (auto stored = store.set_publisher_token(payer, token); !stored) {
      spdlog::critical("--publisher-token {}: {}", entry, stored.error().message);
      return false;
    }
  }
  return true;
}

// CDS client authentication: on unless explicitly switched off. With no
// clients file it stays on and refuses every service call.
bool configure_client_auth(const ServerOptions& options, crdex::server::FrontState& state) {
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
  state.client_auth = std::make_shared<crdex::server::ClientAuthenticator>(std::move(registry));
  return true;
}

int serve(const ServerOptions& options, const sigset_t& signals) {
  if (!prepare_data_dir(options.data_dir)) return 2;
  auto opened = crdex::config::RuleStore::open(options.data_dir / "rules.sqlite");
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
  auto rules = crdex::config::load_current_catalog(*store);
  if (!rules) {
    spdlog::critical("cannot load payer rules from the store: {}", rules.error().message);
    return 2;
  }
  spdlog::info("serving the current rules of {} payer(s)", (*rules)->payers().size());
  if (!configure_publisher_tokens(options, *store)) return 2;

  auto state = std::make_shared<crdex::server::FrontState>();
  state->engine = std::make_shared<crdex::hooks::Engine>(std::move(rules).value(), options.fill);
  state->engine->allow_rule_trace(options.allow_rule_trace);
  state->modules.push_back(std::make_shared<crdex::server::RulesApi>(
      std::make_shared<crdex::server::RulePublisher>(store, state->engine)));
  if (!crdex::server::configure_smart_launch(options, *state)) return 2;
  if (!crdex::server::configure_jwks(options, *state)) return 2;
  state->max_body_bytes = options.max_body_bytes;
  state->query_workers = std::make_shared<crdex::server::WorkerPool>(options.query_workers);
  if (!configure_client_auth(options, *state)) return 2;

  Pistache::Http::Endpoint endpoint(Pistache::Address(options.host, Pistache::Port(options.port)));
  // Pistache counts the request line and headers against maxRequestSize too;
  // leave room for them so an over-limit body gets our 413 OperationOutcome.
  constexpr size_t kHeaderAllowance = 64 * 1024;
  endpoint.init(Pistache::Http::Endpoint::options()
                    .threads(options.threads)
                    .flags(Pistache::Tcp::Options::ReuseAddr)
                    .maxRequestSize(options.max_body_bytes + kHeaderAllowance)
                    .headerTimeout(std::chrono::seconds(10))
                    .bodyTimeout(std::chrono::seconds(30))
                    .keepaliveTimeout(std::chrono::seconds(60)));
  endpoint.setHandler(Pistache::Http::make_handler<crdex::server::HttpFront>(state));
  try {
    endpoint.bind();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", options.host, options.port, e.what());
    return 2;
  }
  endpoint.serveThreaded();

  const bool ipv6 = options.host.find(':') != std::string::npos;
  std::cout << "crdex-server listening on http://" << (ipv6 ? "[" : "") << options.host << (ipv6 ? "]" : "") << ":"
            << static_cast<uint16_t>(endpoint.getPort()) << std::endl;

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {} received: draining calls in flight", signal_number);
  if (!state->drain(options.drain_timeout))
    spdlog::warn("calls still in flight after {} ms; shutting down anyway", options.drain_timeout.count());
  state->query_workers->stop();  // answers its queued calls before the endpoint goes
  endpoint.shutdown();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const sigset_t signals = block_termination_signals();
  auto parsed = crdex::server::parse_server_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;

  // Logs go to stderr; stdout carries only the "listening on" line.
  spdlog::set_default_logger(spdlog::stderr_color_mt("crdex"));
  spdlog::set_level(spdlog::level::from_str(parsed.options->log_level));
  try {
    return serve(*parsed.options, signals);
  } catch (const std::exception& e) {
    spdlog::critical("crdex-server failed: {}", e.what());
    return 1;
  }
}
