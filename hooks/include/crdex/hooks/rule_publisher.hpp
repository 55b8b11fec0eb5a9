#pragma once
// RulePublisher: the one writer of payer rules in a running crdex-server.
// It validates a candidate rule set, commits it to the store, and only then
// swaps the engine's catalog, all under one lock so two publishes cannot
// interleave (each derives its catalog from the one before). With several
// replicas on one store, RuleSync calls refresh_if_changed() so each
// replica's catalog follows the store's current versions.

#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crdex/config/rule_set_parser.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/hooks/decision_diff.hpp"
#include "crdex/hooks/engine.hpp"

namespace crdex::hooks {

// Why a publish did not happen: a rule-set problem list (422) or an Error.
struct PublishFailure {
  std::vector<config::RuleProblem> problems;
  fhir::Error error;
};

template <class T>
struct PublishResult {
  std::optional<T> value;
  PublishFailure failure;
  bool ok() const { return value.has_value(); }
};

class RulePublisher {
 public:
  // `loaded_generation`: the store's change generation read before the
  // engine's catalog was loaded from it (unknown: the first refresh reloads).
  RulePublisher(std::shared_ptr<config::RuleStore> store, std::shared_ptr<hooks::Engine> engine,
                std::optional<int64_t> loaded_generation = std::nullopt)
      : store_(std::move(store)), engine_(std::move(engine)), loaded_generation_(loaded_generation) {}

  config::RuleStore& store() { return *store_; }

  // Checks `document` as `payer_id`'s rule set, against the other payers too.
  PublishResult<config::PayerRuleSet> check(const std::string& payer_id, std::string_view document) const;

  // Stores and activates a new version.
  PublishResult<config::StoredRuleSet> publish(const std::string& payer_id, std::string_view document,
                                               const std::string& author, const std::string& comment);

  // Makes an earlier version current again and activates it.
  PublishResult<config::StoredRuleSet> rollback(const std::string& payer_id, int version, const std::string& author);

  // Catches up with changes made through another connection (another
  // replica, crdex-rules): when the store's change generation differs from
  // the one last loaded, rebuilds the catalog from the store's current
  // versions and swaps it in. Serialized with publish and rollback, so a
  // stale reload never replaces a newer publish. True when it swapped.
  fhir::Result<bool> refresh_if_changed();

  // The live catalog with `document` as `payer_id`'s rules (checked), for a dry run.
  PublishResult<std::shared_ptr<const config::RuleCatalog>> candidate(const std::string& payer_id,
                                                                      std::string_view document) const;
  std::shared_ptr<const config::RuleCatalog> live_rules() const { return engine_->rules(); }

  // Decisions on `requests` that `document` would change versus the live rules.
  PublishResult<std::vector<hooks::DecisionChange>> dry_run(const std::string& payer_id, std::string_view document,
                                                            const std::vector<hooks::SampleRequest>& requests) const;

 private:
  // The live catalog with `set` in place of its payer, or why not.
  PublishResult<std::shared_ptr<const config::RuleCatalog>> candidate_catalog(config::PayerRuleSet set) const;

  std::shared_ptr<config::RuleStore> store_;
  std::shared_ptr<hooks::Engine> engine_;
  std::mutex publish_mutex_;
  std::optional<int64_t> loaded_generation_;  // guarded by publish_mutex_
};

}  // namespace crdex::hooks
