#pragma once
// Health probes for a load balancer or an orchestrator (docs/operations.md):
//   GET /health/live   200 while the process serves HTTP at all;
//   GET /health/ready  200 when crdex can answer calls correctly: every store
//                      file reachable, every payer's current rules (in the
//                      rule store) the ones the engine serves, not shutting
//                      down; 503 with the failing checks otherwise.
// Both are public (no credential) and say nothing a caller could misuse:
// store file names and payer ids, no paths outside --data, no rule content.
//
// Shutdown: main calls begin_shutdown() first on SIGTERM, so readiness turns
// 503 while the listener still accepts calls (--drain-grace-ms), giving a
// load balancer time to stop sending before the calls in flight drain.

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api_module.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/hooks/engine.hpp"

namespace crdex::server {

class Readiness {
 public:
  // `store_files` are the SQLite files under --data crdex needs (each opened
  // anew, read-write without creating, by every readiness check).
  Readiness(std::vector<std::filesystem::path> store_files, std::shared_ptr<config::RuleStore> rules,
            std::shared_ptr<const hooks::Engine> engine);

  // Readiness answers 503 ("draining") from now on. Idempotent.
  void begin_shutdown() { shutting_down_ = true; }
  bool shutting_down() const { return shutting_down_; }

  // Every failing check as "<check>: <why>"; empty when ready.
  std::vector<std::string> problems() const;

 private:
  std::vector<std::filesystem::path> store_files_;
  std::shared_ptr<config::RuleStore> rules_;
  std::shared_ptr<const hooks::Engine> engine_;
  std::atomic<bool> shutting_down_{false};
};

// The answer bodies (application/json):
//   {"status":"pass"}                           200
//   {"status":"fail","problems":["...", ...]}   503
std::string probe_body(const std::vector<std::string>& problems);

class ProbesApi : public ApiModule {
 public:
  explicit ProbesApi(std::shared_ptr<const Readiness> readiness) : readiness_(std::move(readiness)) {}
  std::vector<Route> routes() const override;

 private:
  std::shared_ptr<const Readiness> readiness_;
};

}  // namespace crdex::server
