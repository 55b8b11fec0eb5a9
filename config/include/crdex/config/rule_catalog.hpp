#pragma once
// RuleCatalog: every payer's rules, compiled into an immutable, indexed
// snapshot. Requests read one snapshot for their whole evaluation; a publish
// (later: the rule store) builds a new catalog and swaps the pointer, so
// readers never block and never see half a rule set.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crdex/config/evaluation_context.hpp"
#include "crdex/config/payer_rule_set.hpp"
#include "crdex/fhir/coding.hpp"
#include "crdex/fhir/result.hpp"

namespace crdex::config {

// What a Coverage.payor entry says about the payer.
struct PayorMention {
  std::string_view reference;
  std::string_view identifier_system;
  std::string_view identifier_value;
  std::string_view display;
};

class RuleCatalog {
 public:
  // Builds a catalog; fails when two sets share a payer id or could both claim
  // the same Coverage.payor reference, identifier or display.
  static fhir::Result<std::shared_ptr<const RuleCatalog>> build(std::vector<PayerRuleSet> rule_sets);

  // Loads every *.json file of a directory (sorted by name) and builds.
  static fhir::Result<std::shared_ptr<const RuleCatalog>> load_directory(const std::filesystem::path& dir);

  const std::vector<PayerRuleSet>& payers() const { return payers_; }

  // The payer a Coverage.payor entry names, or nullptr.
  const PayerRuleSet* find_payer(const PayorMention& mention) const;

  // The best rule of `payer` for an order of `resource_type` with `codes`:
  // highest priority, then earliest declared. nullptr when none matches.
  // Considers codes and resource type only (no other condition may be set).
  const Rule* best_rule(const PayerRuleSet& payer, const std::vector<fhir::Coding>& codes,
                        std::string_view resource_type) const;

  // The best rule whose every condition holds for `order` in `context`. Rules
  // are found through an index of their codes (exact, prefix, range bucket),
  // so the cost follows the order's codes, not the number of rules; only
  // rules without a code condition are checked for every order. `trace`, when
  // given, records candidates, matches and the winner.
  const Rule* best_rule(const PayerRuleSet& payer, const OrderFacts& order, const EvaluationContext& context,
                        RuleTrace* trace = nullptr) const;

  // The payer with `payer_id`, or nullptr.
  const PayerRuleSet* payer_by_id(std::string_view payer_id) const;

  // Every card topic some rule may produce (discovery lists one option per topic).
  std::vector<std::string> card_topics() const;

 private:
  RuleCatalog() = default;

  struct RuleRef {
    const Rule* rule;
    size_t declared;
  };
  // Looked up with string_views (no key is built per lookup).
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using RuleList = std::vector<RuleRef>;
  using TextMap = std::unordered_map<std::string, RuleList, TextHash, std::equal_to<>>;
  // One code system's rules: by exact code, by prefix, and by the common
  // prefix of a range's from/to (checked on lookup). The lengths lists say
  // which leading parts of an order's code are worth looking up.
  struct SystemIndex {
    TextMap exact;
    TextMap prefixes;
    TextMap ranges;
    std::vector<size_t> prefix_lengths;
    std::vector<size_t> range_lengths;
  };
  struct CodeIndex {
    std::unordered_map<std::string, SystemIndex, TextHash, std::equal_to<>> systems;
    RuleList without_codes;
  };

  std::vector<PayerRuleSet> payers_;
  std::vector<CodeIndex> code_index_;  // parallel to payers_
};

}  // namespace crdex::config
