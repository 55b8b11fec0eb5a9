#include "crdex/config/rule_catalog.hpp"

#include <algorithm>
#include <set>

#include "crdex/config/rule_set_parser.hpp"
#include "crdex/fhir/reference.hpp"

namespace crdex::config {

namespace {

std::string code_key(std::string_view system, std::string_view code) {
  std::string key;
  key.reserve(system.size() + code.size() + 1);
  key.append(system).push_back('|');
  key.append(code);
  return key;
}

bool same_reference(std::string_view a, std::string_view b) {
  const auto pa = fhir::parse_reference(a);
  const auto pb = fhir::parse_reference(b);
  return pa.valid() && pa.type == pb.type && pa.id == pb.id;
}

bool names_payer(const PayerIdentity& identity, const PayorMention& mention) {
  if (!mention.reference.empty())
    for (const auto& ref : identity.references)
      if (same_reference(ref, mention.reference)) return true;
  if (!mention.identifier_value.empty())
    for (const auto& id : identity.identifiers)
      if (id.system == mention.identifier_system && id.value == mention.identifier_value) return true;
  if (!mention.display.empty())
    for (const auto& display : identity.displays)
      if (display == mention.display) return true;
  return false;
}

fhir::Error conflict(const std::string& message) {
  return fhir::Error{400, fhir::IssueType::business_rule, message, ""};
}

}  // namespace

fhir::Result<std::shared_ptr<const RuleCatalog>> RuleCatalog::build(std::vector<PayerRuleSet> rule_sets) {
  // Two payers that could claim the same Coverage would make payer selection
  // depend on file order; refuse the combination instead.
  for (size_t i = 0; i < rule_sets.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const auto& a = rule_sets[i];
      const auto& b = rule_sets[j];
      if (a.payer_id == b.payer_id)
        return conflict(a.source + ": payer id \"" + a.payer_id + "\" is also used by " + b.source);
      for (const auto& ref : a.identity.references)
        if (names_payer(b.identity, {ref, {}, {}, {}}))
          return conflict(a.source + ": reference \"" + ref + "\" also identifies payer \"" + b.payer_id + "\"");
      for (const auto& id : a.identity.identifiers)
        if (names_payer(b.identity, {{}, id.system, id.value, {}}))
          return conflict(a.source + ": identifier " + id.system + "|" + id.value + " also identifies payer \"" +
                          b.payer_id + "\"");
      for (const auto& display : a.identity.displays)
        if (names_payer(b.identity, {{}, {}, {}, display}))
          return conflict(a.source + ": display \"" + display + "\" also identifies payer \"" + b.payer_id + "\"");
    }
  }

  std::shared_ptr<RuleCatalog> catalog(new RuleCatalog());
  catalog->payers_ = std::move(rule_sets);
  for (const auto& payer : catalog->payers_) {
    CodeIndex index;
    for (size_t r = 0; r < payer.rules.size(); ++r) {
      std::set<std::string> seen;  // a rule listing one code twice is indexed once
      for (const auto& code : payer.rules[r].codes) {
        auto key = code_key(code.system, code.code);
        if (seen.insert(key).second) index[std::move(key)].push_back({&payer.rules[r], r});
      }
    }
    catalog->code_index_.push_back(std::move(index));
  }
  return std::shared_ptr<const RuleCatalog>(std::move(catalog));
}

fhir::Result<std::shared_ptr<const RuleCatalog>> RuleCatalog::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return fhir::Error{400, fhir::IssueType::not_found, dir.string() + ": not a directory of rule files", ""};
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  if (ec) return fhir::Error{400, fhir::IssueType::exception, dir.string() + ": " + ec.message(), ""};
  std::sort(files.begin(), files.end());

  std::vector<PayerRuleSet> sets;
  for (const auto& file : files) {
    auto set = load_rule_file(file);
    if (!set) return set.error();
    sets.push_back(std::move(set).value());
  }
  return build(std::move(sets));
}

const PayerRuleSet* RuleCatalog::find_payer(const PayorMention& mention) const {
  for (const auto& payer : payers_)
    if (names_payer(payer.identity, mention)) return &payer;
  return nullptr;
}

const Rule* RuleCatalog::best_rule(const PayerRuleSet& payer, const std::vector<fhir::Coding>& codes,
                                   std::string_view resource_type) const {
  const auto payer_index = static_cast<size_t>(&payer - payers_.data());
  if (payer_index >= payers_.size()) return nullptr;
  const CodeIndex& index = code_index_[payer_index];

  const RuleRef* best = nullptr;
  for (const auto& code : codes) {
    auto found = index.find(code_key(code.system, code.code));
    if (found == index.end()) continue;
    for (const auto& candidate : found->second) {
      const auto& types = candidate.rule->resource_types;
      if (!types.empty() && std::find(types.begin(), types.end(), resource_type) == types.end()) continue;
      if (!best || candidate.rule->priority > best->rule->priority ||
          (candidate.rule->priority == best->rule->priority && candidate.declared < best->declared))
        best = &candidate;
    }
  }
  return best ? best->rule : nullptr;
}

std::vector<std::string> RuleCatalog::card_topics() const {
  std::set<std::string> topics;
  for (const auto& payer : payers_) {
    for (auto& topic : payer.default_outcome.card_topics()) topics.insert(std::move(topic));
    for (const auto& rule : payer.rules)
      for (auto& topic : rule.outcome.card_topics()) topics.insert(std::move(topic));
  }
  return {topics.begin(), topics.end()};
}

}  // namespace crdex::config
