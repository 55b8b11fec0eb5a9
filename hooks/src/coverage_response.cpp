#include "coverage_response.hpp"

#include <algorithm>
#include <exception>

#include "crdex/cards/card.hpp"
#include "crdex/cards/coverage_decision.hpp"
#include "crdex/cards/coverage_information_action.hpp"
#include "crdex/cards/coverage_update.hpp"
#include "crdex/config/coverage_invariants.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "evaluation_facts.hpp"
#include "questionnaire_lookup.hpp"

namespace crdex::hooks::detail {

namespace {

// One order's decision. A failure while evaluating one order must not cost the
// others their answers: it becomes `indeterminate` + reason `technical` for
// that order alone (CRD resp-43).
cards::CoverageDecision evaluate_one(const HookRequest& request, const cards::OrderUnderReview& order,
                                     const SelectedCoverage& coverage, const config::RuleCatalog& rules,
                                     const config::EvaluationContext& context) {
  if (!order.unassessable_because.empty())
    return cards::synthesized_decision(config::technical_failure_outcome(order.unassessable_because),
                                       coverage.reference);
  if (!coverage.membership_reason.empty())
    return cards::synthesized_decision(
        config::not_covered_outcome(coverage.membership_reason, coverage.membership_explanation),
        coverage.reference);
  if (!coverage.inactive_because.empty())
    return cards::synthesized_decision(config::inactive_coverage_outcome(coverage.inactive_because),
                                       coverage.reference);
  // No determination without facts: an order with no usable code gets no
  // positive assertion, whatever a default outcome would say (docs/rules.md).
  if (order.codes.empty())
    return cards::synthesized_decision(
        config::undetermined_without_code_outcome(
            std::string(order.resource_type) + "/" + std::string(order.id) +
            " carries no usable code (no coding with both system and code), so its coverage cannot be "
            "determined; send the ordered item's code"),
        coverage.reference);
  try {
    return cards::decide(rules, *coverage.payer, read_order_facts(request, order), context, coverage.reference);
  } catch (const std::exception& e) {
    return cards::synthesized_decision(
        config::technical_failure_outcome("Coverage could not be assessed for this order: " + std::string(e.what())),
        coverage.reference);
  }
}

void report(const ResponseSettings& settings, LogLevel level, const std::string& message) noexcept {
  if (!settings.log || !*settings.log) return;
  try {
    (*settings.log)(level, message);
  } catch (...) {  // a sink that throws must not cost the EHR its answer
  }
}

cards::CoverageDecision decide_one(const HookRequest& request, const cards::OrderUnderReview& order,
                                   const SelectedCoverage& coverage, const config::RuleCatalog& rules,
                                   const config::EvaluationContext& context, const ResponseSettings& settings) {
  auto decision = evaluate_one(request, order, coverage, rules, context);
  if (settings.role == HookRole::secondary) decision = cards::for_secondary_hook(std::move(decision));
  if (!request.configuration.card_type_enabled("unsolicited-determ"))
    decision = cards::without_unsolicited_determination(std::move(decision));
  // Rule sets are checked when loaded, so a violation here is a defect in
  // crdex: the EHR gets indeterminate + technical, the operator a log line.
  if (auto violation = config::find_invariant_violation(*decision.outcome))
    report(settings, LogLevel::error,
           "coverage-information invariant broken at run time (" + std::string(request.hook) + " " +
               std::string(request.hook_instance) + ", " + std::string(order.resource_type) + "/" +
               std::string(order.id) + ", rule " + (decision.rule_id.empty() ? "defaultOutcome" : decision.rule_id) +
               "): " + *violation + "; answered indeterminate/technical");
  return cards::with_invariants_checked(std::move(decision));
}

// The Questionnaire searches of the form cards these decisions will carry.
std::vector<std::string> questionnaire_searches(const std::vector<cards::CoverageDecision>& decisions,
                                                const CrdConfiguration& configuration) {
  std::vector<std::string> searches;
  for (const auto& decision : decisions) {
    const auto& form = decision.outcome->form;
    if (!form || form->questionnaire_search.empty()) continue;
    if (form->topic == "coverage-info" ? !configuration.coverage_info : !configuration.card_type_enabled(form->topic))
      continue;
    if (std::find(searches.begin(), searches.end(), form->questionnaire_search) == searches.end())
      searches.push_back(form->questionnaire_search);
  }
  return searches;
}

constexpr size_t kNoOrder = static_cast<size_t>(-1);

// CRD resp-70: no coverage-record card where clinicians order.
bool is_clinician_hook(std::string_view hook) { return hook == "order-sign" || hook == "order-select"; }

// The EHR asked for ready launches: each `smart` link becomes an `absolute`
// link to app?launch=…&iss=…, the launch holding the patient, encounter, user,
// the order, the Coverage and the payer's questionnaires. A link that cannot
// be launched (no fhirServer, say) stays a plain smart link.
void launch_smart_links(cards::Card& card, const HookRequest& request, const cards::OrderUnderReview& order,
                        const cards::CoverageDecision& decision, const SmartLinkLauncher& launcher) {
  for (auto& link : card.links) {
    if (link.type != "smart") continue;
    SmartLinkContext context{link.url,
                             link.app_context,
                             request.fhir_server,
                             request.context.string_or_empty("patientId"),
                             request.context.string_or_empty("encounterId"),
                             request.context.string_or_empty("userId"),
                             std::string(order.resource_type) + "/" + std::string(order.id),
                             decision.coverage_reference,
                             decision.outcome ? decision.outcome->questionnaires : std::vector<std::string>{}};
    auto url = launcher.launch_url(context);
    if (!url) continue;
    link.url = std::move(url).value();
    link.type = "absolute";
    link.app_context.clear();  // it travels in the launch, to the token response
  }
}

// Prior-authorization cards first, then the rest in order; at most max_cards.
// `card_orders` (the order index of each card) is kept in step.
void order_and_trim(std::vector<cards::Card>& cards, std::vector<size_t>& card_orders,
                    const CrdConfiguration& configuration) {
  std::vector<size_t> index(cards.size());
  for (size_t i = 0; i < index.size(); ++i) index[i] = i;
  std::stable_sort(index.begin(), index.end(), [&cards](size_t a, size_t b) {
    return (cards[a].topic == "coverage-info") > (cards[b].topic == "coverage-info");
  });
  const size_t kept = std::min(index.size(), static_cast<size_t>(configuration.max_cards));
  std::vector<cards::Card> sorted;
  std::vector<size_t> sorted_orders;
  sorted.reserve(kept);
  sorted_orders.reserve(kept);
  for (size_t i = 0; i < kept; ++i) {
    sorted.push_back(std::move(cards[index[i]]));
    sorted_orders.push_back(card_orders[index[i]]);
  }
  cards = std::move(sorted);
  card_orders = std::move(sorted_orders);
}

// {"crdex.rule-trace": [{order, ruleSetVersion, candidates, matched, winner}]}
void write_trace(fhir::JsonWriter& w, const std::vector<cards::OrderUnderReview>& orders,
                 const std::vector<cards::CoverageDecision>& decisions) {
  fhir::write_key(w, "extension");
  w.StartObject();
  fhir::write_key(w, "crdex.rule-trace");
  w.StartArray();
  for (size_t i = 0; i < orders.size(); ++i) {
    w.StartObject();
    fhir::write_key(w, "order");
    fhir::write_string(w, std::string(orders[i].resource_type) + "/" + std::string(orders[i].id));
    fhir::write_key(w, "ruleSetVersion");
    w.Int(decisions[i].rule_set_version);
    if (const auto& trace = decisions[i].trace) {
      for (auto [key, list] : {std::pair{"candidates", &trace->candidates}, std::pair{"matched", &trace->matched}}) {
        fhir::write_key(w, key);
        w.StartArray();
        for (const auto& id : *list) fhir::write_string(w, id);
        w.EndArray();
      }
      fhir::write_key(w, "winner");
      fhir::write_string(w, trace->winner.empty() ? "defaultOutcome" : trace->winner);
    } else {
      fhir::write_key(w, "winner");
      fhir::write_string(w, "none: " + std::string(decisions[i].outcome->covered) + " set by crdex");
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// Which rule a decision came from, for feedback attribution.
std::string origin_rule(const cards::CoverageDecision& decision) {
  if (decision.synthesized) return "crdex:" + std::string(decision.outcome->covered);
  return decision.rule_id.empty() ? "defaultOutcome" : decision.rule_id;
}

}  // namespace

CoverageResponse coverage_response_json(const HookRequest& request,
                                        const std::vector<cards::OrderUnderReview>& orders,
                                        const SelectedCoverage& coverage, const config::RuleCatalog& rules,
                                        const ResponseSettings& settings) {
  const CrdConfiguration& configuration = request.configuration;
  auto context = read_evaluation_context(request, coverage.resource, fhir::today_utc_date());
  context.trace = settings.trace_allowed && configuration.rule_trace;
  std::vector<cards::CoverageDecision> decisions;
  decisions.reserve(orders.size());
  for (const auto& order : orders) decisions.push_back(decide_one(request, order, coverage, rules, context, settings));

  std::vector<std::string> on_client;
  if (settings.fill)
    if (const auto searches = questionnaire_searches(decisions, configuration); !searches.empty()) {
      if (!settings.may_query) return {{}, {}, true};
      on_client = questionnaires_on_client(request, searches, *settings.fill);
    }
  // Reported once the call is sure to be answered here (not given back with needs_query).
  for (size_t i = 0; i < orders.size(); ++i) {
    const auto& outcome = *decisions[i].outcome;
    if (outcome.covered == "indeterminate" && decisions[i].synthesized && !outcome.reasons.empty())
      report(settings, LogLevel::warning,
             std::string(request.hook) + " " + std::string(request.hook_instance) + ": " +
                 std::string(orders[i].resource_type) + "/" + std::string(orders[i].id) +
                 " answered indeterminate/technical: " + outcome.reasons.front().text);
  }

  std::vector<cards::Card> cards;
  std::vector<size_t> card_orders;  // cards[i] is about orders[card_orders[i]] (kNoOrder: about the Coverage)
  std::vector<CardOrigin> origins;
  for (size_t i = 0; i < orders.size(); ++i) {
    for (auto& card : cards::cards_for(*coverage.payer, orders[i], decisions[i], on_client)) {
      const bool wanted = card.topic == "coverage-info" ? configuration.coverage_info
                                                        : configuration.card_type_enabled(card.topic);
      if (!wanted) continue;
      origins.push_back({card.uuid, std::string(orders[i].resource_type) + "/" + std::string(orders[i].id),
                         origin_rule(decisions[i]), decisions[i].rule_set_version, card.topic,
                         decisions[i].outcome->covered + "/" + decisions[i].outcome->pa_needed});
      cards.push_back(std::move(card));
      card_orders.push_back(i);
    }
  }

  // Update Coverage Records, when the payer's member record disagrees with the EHR's Coverage.
  std::optional<cards::Action> coverage_update;
  if (coverage.payer_record && configuration.card_type_enabled("insurance")) {
    if (auto correction = cards::correct_coverage(coverage.resource, coverage.reference, *coverage.payer_record)) {
      if (is_clinician_hook(request.hook)) {
        coverage_update = cards::coverage_update_action(*correction);
      } else {
        cards.push_back(cards::coverage_update_card(*coverage.payer, *correction));
        card_orders.push_back(kNoOrder);
      }
    }
  }
  order_and_trim(cards, card_orders, configuration);
  // Launches only for the cards the EHR actually gets.
  if (settings.smart_links && configuration.smart_launch)
    for (size_t i = 0; i < cards.size(); ++i)
      if (card_orders[i] != kNoOrder)
        launch_smart_links(cards[i], request, orders[card_orders[i]], decisions[card_orders[i]],
                           *settings.smart_links);
  // The origins of the cards that survived the trim, in card order.
  std::vector<CardOrigin> kept;
  kept.reserve(cards.size());
  for (const auto& card : cards)
    for (auto& origin : origins)
      if (origin.card_uuid == card.uuid) kept.push_back(std::move(origin));

  thread_local fhir::JsonBuffer reused_buffer;  // text copied out below, before the next use
  fhir::JsonBuffer& buffer = fhir::reused(reused_buffer);
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "cards");
  w.StartArray();
  for (const auto& card : cards) cards::write_card(w, card);
  w.EndArray();
  // CDS Hooks forbids an empty array: systemActions is left out when there is none.
  // An order that already carries the same coverage information gets no update (resp-35).
  std::vector<size_t> updates;
  if (configuration.coverage_info)
    for (size_t i = 0; i < orders.size(); ++i)
      if (!cards::already_carries(orders[i], decisions[i])) updates.push_back(i);
  if (!updates.empty() || coverage_update) {
    fhir::write_key(w, "systemActions");
    w.StartArray();
    for (size_t i : updates) cards::write_coverage_information_action(w, orders[i], decisions[i]);
    if (coverage_update) cards::write_action(w, *coverage_update);
    w.EndArray();
  }
  if (context.trace) write_trace(w, orders, decisions);
  w.EndObject();
  return {{buffer.GetString(), buffer.GetSize()}, std::move(kept), false};
}

}  // namespace crdex::hooks::detail
