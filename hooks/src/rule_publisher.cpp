#include "crdex/hooks/rule_publisher.hpp"

#include "crdex/config/stored_catalog.hpp"

namespace crdex::hooks {

namespace {

template <class T>
PublishResult<T> failed(fhir::Error error) {
  PublishResult<T> result;
  result.failure.error = std::move(error);
  return result;
}

template <class T>
PublishResult<T> failed(std::vector<config::RuleProblem> problems) {
  PublishResult<T> result;
  result.failure.problems = std::move(problems);
  result.failure.error = {422, fhir::IssueType::invalid, "the rule set has problems", ""};
  return result;
}

template <class T, class U>
PublishResult<T> failed_like(const PublishResult<U>& other) {
  PublishResult<T> result;
  result.failure = other.failure;
  return result;
}

}  // namespace

PublishResult<config::PayerRuleSet> RulePublisher::check(const std::string& payer_id,
                                                         std::string_view document) const {
  auto checked = config::check_rule_set(document, "rule set for " + payer_id);
  if (!checked.ok()) return failed<config::PayerRuleSet>(std::move(checked.problems));
  if (checked.set->payer_id != payer_id)
    return failed<config::PayerRuleSet>(std::vector<config::RuleProblem>{
        {"$.payer.id", "/payer/id",
         "$.payer.id is \"" + checked.set->payer_id + "\" but this is the rule set of \"" + payer_id + "\""}});
  PublishResult<config::PayerRuleSet> result;
  result.value = std::move(*checked.set);
  return result;
}

PublishResult<std::shared_ptr<const config::RuleCatalog>> RulePublisher::candidate_catalog(
    config::PayerRuleSet set) const {
  auto catalog = config::catalog_with(*engine_->rules(), std::move(set));
  if (!catalog) {
    auto error = catalog.error();
    error.http_status = 409;  // conflicts with another payer's published identity
    return failed<std::shared_ptr<const config::RuleCatalog>>(std::move(error));
  }
  PublishResult<std::shared_ptr<const config::RuleCatalog>> result;
  result.value = std::move(catalog).value();
  return result;
}

PublishResult<config::StoredRuleSet> RulePublisher::publish(const std::string& payer_id, std::string_view document,
                                                            const std::string& author, const std::string& comment) {
  auto set = check(payer_id, document);
  if (!set.ok()) return failed_like<config::StoredRuleSet>(set);

  std::lock_guard lock(publish_mutex_);
  auto catalog_before_version = candidate_catalog(*set.value);  // conflicts are refused before anything is stored
  if (!catalog_before_version.ok()) return failed_like<config::StoredRuleSet>(catalog_before_version);
  auto stored = store_->publish(payer_id, document, author, comment);
  if (!stored) return failed<config::StoredRuleSet>(stored.error());
  // Committed: build the live catalog with the version number the store gave.
  set.value->version = stored->version;
  auto catalog = candidate_catalog(std::move(*set.value));
  if (!catalog.ok()) return failed_like<config::StoredRuleSet>(catalog);
  engine_->replace_rules(std::move(*catalog.value));
  PublishResult<config::StoredRuleSet> result;
  result.value = std::move(stored).value();
  return result;
}

PublishResult<config::StoredRuleSet> RulePublisher::rollback(const std::string& payer_id, int version,
                                                             const std::string& author) {
  std::lock_guard lock(publish_mutex_);
  auto target = store_->version(payer_id, version);
  if (!target) return failed<config::StoredRuleSet>(target.error());
  auto set = check(payer_id, target->document);
  if (!set.ok()) return failed_like<config::StoredRuleSet>(set);
  set.value->version = version;
  auto catalog = candidate_catalog(std::move(*set.value));
  if (!catalog.ok()) return failed_like<config::StoredRuleSet>(catalog);
  auto stored = store_->make_current(payer_id, version, author);
  if (!stored) return failed<config::StoredRuleSet>(stored.error());
  engine_->replace_rules(std::move(*catalog.value));
  PublishResult<config::StoredRuleSet> result;
  result.value = std::move(stored).value();
  return result;
}

fhir::Result<bool> RulePublisher::refresh_if_changed() {
  std::lock_guard lock(publish_mutex_);
  // The generation first: a change committed while the catalog is read
  // leaves a newer generation for the next call, never a stale catalog
  // marked as current.
  auto generation = store_->generation();
  if (!generation) return generation.error();
  if (loaded_generation_ == *generation) return false;
  auto catalog = config::load_current_catalog(*store_);
  if (!catalog) return catalog.error();
  engine_->replace_rules(std::move(catalog).value());
  loaded_generation_ = *generation;
  return true;
}

PublishResult<std::shared_ptr<const config::RuleCatalog>> RulePublisher::candidate(const std::string& payer_id,
                                                                                   std::string_view document) const {
  auto set = check(payer_id, document);
  if (!set.ok()) return failed_like<std::shared_ptr<const config::RuleCatalog>>(set);
  auto catalog = config::catalog_with(*engine_->rules(), std::move(*set.value));
  if (!catalog) return failed<std::shared_ptr<const config::RuleCatalog>>(catalog.error());
  PublishResult<std::shared_ptr<const config::RuleCatalog>> result;
  result.value = std::move(catalog).value();
  return result;
}

PublishResult<std::vector<hooks::DecisionChange>> RulePublisher::dry_run(
    const std::string& payer_id, std::string_view document, const std::vector<hooks::SampleRequest>& requests) const {
  auto set = check(payer_id, document);
  if (!set.ok()) return failed_like<std::vector<hooks::DecisionChange>>(set);
  auto live = engine_->rules();
  auto catalog = config::catalog_with(*live, std::move(*set.value));
  if (!catalog) return failed<std::vector<hooks::DecisionChange>>(catalog.error());
  PublishResult<std::vector<hooks::DecisionChange>> result;
  result.value = hooks::diff_decisions(live, *catalog, requests);
  return result;
}

}  // namespace crdex::hooks
