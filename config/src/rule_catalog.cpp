#include "crdex/config/rule_catalog.hpp"

#include <algorithm>
#include <set>

#include "crdex/config/rule_set_parser.hpp"
#include "crdex/fhir/reference.hpp"

namespace crdex::config {

namespace {

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
  auto add_length = [](std::vector<size_t>& lengths, size_t length) {
    if (std::find(lengths.begin(), lengths.end(), length) == lengths.end()) lengths.push_back(length);
  };
  for (const auto& payer : catalog->payers_) {
    CodeIndex index;
    for (size_t r = 0; r < payer.rules.size(); ++r) {
      const Rule& rule = payer.rules[r];
      const CodeSelection& codes = rule.when.codes;
      if (codes.empty()) {
        index.without_codes.push_back({&rule, r});
        continue;
      }
      // A rule listing one key twice is indexed once per map.
      auto add = [&](TextMap& map, std::string key) {
        auto& list = map[std::move(key)];
        if (list.empty() || list.back().rule != &rule) list.push_back({&rule, r});
      };
      for (const auto& code : codes.codes) add(index.systems[code.system].exact, code.code);
      for (const auto& prefix : codes.prefixes) {
        auto& system = index.systems[prefix.system];
        add(system.prefixes, prefix.prefix);
        add_length(system.prefix_lengths, prefix.prefix.size());
      }
      for (const auto& range : codes.ranges) {
        size_t common = 0;
        while (common < range.low.size() && range.low[common] == range.high[common]) ++common;
        auto& system = index.systems[range.system];
        add(system.ranges, range.low.substr(0, common));
        add_length(system.range_lengths, common);
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
  OrderFacts order;
  order.resource_type = resource_type;
  order.codes = codes;
  return best_rule(payer, order, EvaluationContext{});
}

const Rule* RuleCatalog::best_rule(const PayerRuleSet& payer, const OrderFacts& order,
                                   const EvaluationContext& context, RuleTrace* trace) const {
  const auto payer_index = static_cast<size_t>(&payer - payers_.data());
  if (payer_index >= payers_.size()) return nullptr;
  const CodeIndex& index = code_index_[payer_index];

  const RuleRef* best = nullptr;
  auto consider = [&](const RuleRef& candidate) {
    const Rule& rule = *candidate.rule;
    // Conditions are only evaluated when the rule could still win.
    const bool could_win = !best || rule.priority > best->rule->priority ||
                           (rule.priority == best->rule->priority && candidate.declared < best->declared);
    if (trace) trace->candidates.push_back(rule.id);
    if (!could_win && !trace) return;
    if (!conditions_hold(rule.when, order, context)) return;
    if (trace) trace->matched.push_back(rule.id);
    if (could_win) best = &candidate;
  };
  for (const auto& code : order.codes) {
    const auto system = index.systems.find(std::string_view(code.system));
    if (system == index.systems.end()) continue;
    const std::string_view value = code.code;
    if (auto found = system->second.exact.find(value); found != system->second.exact.end())
      for (const auto& candidate : found->second) consider(candidate);
    for (const size_t length : system->second.prefix_lengths) {
      if (length > value.size()) continue;
      if (auto found = system->second.prefixes.find(value.substr(0, length)); found != system->second.prefixes.end())
        for (const auto& candidate : found->second) consider(candidate);
    }
    for (const size_t length : system->second.range_lengths) {
      if (length > value.size()) continue;
      auto found = system->second.ranges.find(value.substr(0, length));
      if (found == system->second.ranges.end()) continue;
      for (const auto& candidate : found->second)
        for (const auto& r : candidate.rule->when.codes.ranges)
          if (r.system == code.system && r.low.size() == value.size() && r.low <= value && value <= r.high) {
            consider(candidate);
            break;
          }
    }
  }
  for (const auto& candidate : index.without_codes) consider(candidate);
  if (trace && best) trace->winner = best->rule->id;
  return best ? best->rule : nullptr;
}

const PayerRuleSet* RuleCatalog::payer_by_id(std::string_view payer_id) const {
  for (const auto& payer : payers_)
    if (payer.payer_id == payer_id) return &payer;
  return nullptr;
}

std::vector<std::string> RuleCatalog::card_topics() const {
  std::set<std::string> topics;
  for (const auto& payer : payers_) {
    for (auto& topic : payer.default_outcome.card_topics()) topics.insert(std::move(topic));
    for (const auto& rule : payer.rules)
      for (auto& topic : rule.outcome.card_topics()) topics.insert(std::move(topic));
    // Member records let crdex correct the EHR's Coverage (Update Coverage Records).
    if (payer.members) topics.insert("insurance");
  }
  return {topics.begin(), topics.end()};
}

}  // namespace crdex::config
