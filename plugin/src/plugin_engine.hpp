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

struct crdex_engine {
  crdex_engine(crdex::plugin::HostBinding host_binding, std::shared_ptr<const crdex::config::RuleCatalog> rules,
               std::optional<std::filesystem::path> dir)
      : host(host_binding), engine(std::move(rules)), rules_dir(std::move(dir)) {
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
  crdex::hooks::Engine engine;

  // Guards rules_dir and orders rule swaps: two replace/reload calls racing
  // must leave the rules and the directory they came from consistent.
  // Evaluation never takes it (Engine swaps the catalog atomically).
  std::mutex rules_mutex;
  std::optional<std::filesystem::path> rules_dir;
};
