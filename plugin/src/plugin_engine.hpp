#pragma once
// crdex_engine: what the opaque handle stands for. The shared
// crdex::hooks::Engine (the one crdex-server uses), the host's callbacks,
// and where the rules came from so crdex_engine_reload_rules can read them
// again.

#include <filesystem>
#include <mutex>
#include <optional>

#include "crdex/hooks/engine.hpp"
#include "host_binding.hpp"
#include "host_fetcher.hpp"

namespace crdex::plugin {

// Prefetch fills go through the host's transport when it gave one, else
// through crdex's own libcurl client.
inline hooks::PrefetchFillOptions with_host_fetcher(hooks::PrefetchFillOptions fill, const HostBinding& host) {
  if (host.fhir_transport()) fill.fetcher = std::make_shared<HostFetcher>(host.fhir_transport(), host.user_data());
  return fill;
}

}  // namespace crdex::plugin

struct crdex_engine {
  // `fill` as configured; its fetcher is set here from the host's transport.
  crdex_engine(crdex::plugin::HostBinding host_binding, std::shared_ptr<const crdex::config::RuleCatalog> rules,
               std::optional<std::filesystem::path> dir, crdex::hooks::PrefetchFillOptions fill)
      : host(host_binding), direct_query(fill), engine(std::move(rules), with_host_fetcher(std::move(fill), host_binding)),
        rules_dir(std::move(dir)) {
    // The engine's run-time problems go to the host's log callback.
    engine.set_log_sink([binding = host](crdex::hooks::LogLevel level, std::string_view message) {
      using L = crdex::hooks::LogLevel;
      binding.log(level == L::error     ? CRDEX_LOG_ERROR
                  : level == L::warning ? CRDEX_LOG_WARNING
                  : level == L::info    ? CRDEX_LOG_INFO
                                        : CRDEX_LOG_DEBUG,
                  message);
    });
  }

  const crdex::plugin::HostBinding host;
  // The Direct Query settings as configured (CDex reuses them: plain HTTP, pages).
  const crdex::hooks::PrefetchFillOptions direct_query;
  crdex::hooks::Engine engine;

  // Guards rules_dir and orders rule swaps: two replace/reload calls racing
  // must leave the rules and the directory they came from consistent.
  // Evaluation never takes it (Engine swaps the catalog atomically).
  std::mutex rules_mutex;
  std::optional<std::filesystem::path> rules_dir;
};
