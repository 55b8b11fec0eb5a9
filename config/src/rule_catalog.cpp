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
      const Rule& rule = payer.rules[r];
      const CodeSelection& codes = rule.when.codes;
      if (codes.empty()) {
        index.without_codes.push_back({&rule, r});
        continue;
      }
      // A rule listing one key twice is indexed once per map.
      auto add = [&](auto& map, std::set<std::string>& seen, std::string key) {
        if (seen.insert(key).second) map[std::move(key)].push_back({&rule, r});
      };
      std::set<std::string> exact_seen, prefix_seen, range_seen;
      for (const auto& code : codes.codes) add(index.exact, exact_seen, code_key(code.system, code.code));
      for (const auto& prefix : codes.prefixes) {
        add(index.prefixes, prefix_seen, code_key(prefix.system, prefix.prefix));
        index.longest_prefix = std::max(index.longest_prefix, prefix.prefix.size());
      }
      for (const auto& range : codes.ranges) {
        size_t common = 0;
        while (common < range.low.size() && range.low[common] == range.high[common]) ++common;
        add(index.ranges, range_seen, code_key(range.system, range.low.substr(0, common)));
        index.longest_prefix = std::max(index.longest_prefix, common);
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
  auto consider_all = [&](const auto& map, const std::string& key, auto&& accept) {
    auto found = map.find(key);
    if (found == map.end()) return;
    for (const auto& candidate : found->second)
      if (accept(candidate)) consider(candidate);
  };

  std::string key;
  for (const auto& code : order.codes) {
    consider_all(index.exact, code_key(code.system, code.code), [](const RuleRef&) { return true; });
    if (index.prefixes.empty() && index.ranges.empty()) continue;
    // Every prefix of the order's code, shortest first, up to the longest indexed one.
    const size_t longest = std::min(index.longest_prefix, code.code.size());
    for (size_t length = 0; length <= longest; ++length) {
      key = code_key(code.system, std::string_view(code.code).substr(0, length));
      if (length > 0)
        consider_all(index.prefixes, key, [&](const RuleRef& candidate) {
          // The same rule may list a shorter prefix of this code too; match once.
          for (const auto& p : candidate.rule->when.codes.prefixes)
            if (p.system == code.system && std::string_view(code.code).starts_with(p.prefix))
              return p.prefix.size() == length;
          return false;
        });
      consider_all(index.ranges, key, [&](const RuleRef& candidate) {
        for (const auto& r : candidate.rule->when.codes.ranges)
          if (r.system == code.system && r.low.size() == code.code.size() && r.low <= code.code &&
              code.code <= r.high)
            return true;
        return false;
      });
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
    if (payer.default_outcome.card) topics.insert(payer.default_outcome.card->topic);
    for (const auto& rule : payer.rules)
      if (rule.outcome.card) topics.insert(rule.outcome.card->topic);
  }
  return {topics.begin(), topics.end()};
}

}  // namespace crdex::config
