#include "crdex/config/stored_catalog.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "crdex/config/rule_set_parser.hpp"

namespace crdex::config {

fhir::Result<std::shared_ptr<const RuleCatalog>> load_current_catalog(RuleStore& store) {
  auto current = store.all_current();
  if (!current) return current.error();
  std::vector<PayerRuleSet> sets;
  for (const auto& stored : *current) {
    const std::string source = "rule store: " + stored.payer_id + " v" + std::to_string(stored.version);
    auto set = parse_rule_set(stored.document, source);
    // A stored version was valid when published; a newer crdex that reads it
    // differently must say so rather than serve something else.
    if (!set) return set.error();
    set->version = stored.version;
    sets.push_back(std::move(set).value());
  }
  return RuleCatalog::build(std::move(sets));
}

fhir::Result<int> seed_empty_store(RuleStore& store, const std::filesystem::path& dir) {
  auto empty = store.empty();
  if (!empty) return empty.error();
  if (!*empty) return 0;

  // Checks every file and the combination first, so a bad file stores nothing.
  auto catalog = RuleCatalog::load_directory(dir);
  if (!catalog) return catalog.error();
  std::vector<std::filesystem::path> files;
  for (const auto& payer : (*catalog)->payers()) files.emplace_back(payer.source);
  std::vector<StoredRuleSet> to_store;
  for (size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i], std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    StoredRuleSet set;
    set.payer_id = (*catalog)->payers()[i].payer_id;
    set.document = text.str();
    set.author = "crdex-server --rules";
    set.comment = "seeded from " + files[i].filename().string();
    to_store.push_back(std::move(set));
  }
  auto stored = store.publish_all(to_store);
  if (!stored) return stored.error();
  return static_cast<int>(stored->size());
}

fhir::Result<std::shared_ptr<const RuleCatalog>> catalog_with(const RuleCatalog& catalog, PayerRuleSet set) {
  std::vector<PayerRuleSet> sets = catalog.payers();
  auto same = std::find_if(sets.begin(), sets.end(), [&](const PayerRuleSet& p) { return p.payer_id == set.payer_id; });
  if (same != sets.end())
    *same = std::move(set);
  else
    sets.push_back(std::move(set));
  return RuleCatalog::build(std::move(sets));
}

}  // namespace crdex::config
