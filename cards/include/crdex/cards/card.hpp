#pragma once
// Cards a clinician sees beside the coverage information (CRD response types):
// Instructions and External Reference (the rule's `card`), the prior-
// authorization notice crdex raises on its own, Propose Alternate Request,
// Identify Additional Orders, Request Form Completion and Launch SMART
// Application. All builders are pure: a payer, an order and a decision in,
// cards out.

#include <span>
#include <string>
#include <vector>

#include "crdex/cards/coverage_decision.hpp"
#include "crdex/cards/order_under_review.hpp"
#include "crdex/config/payer_rule_set.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::cards {

struct Link {
  std::string label;
  std::string url;
  std::string type = "absolute";  // absolute | smart
  std::string app_context;        // only for smart links
};

struct Action {
  std::string type;  // create | update | delete
  std::string description;
  std::string resource_json;  // the whole resource for create / update (minified JSON)
  std::string resource_id;    // "Type/id" for delete
  // For a conditional create: the search that finds an existing copy, sent as
  // the action's `davinci-crd.if-none-exist` extension (CRD dev-19).
  std::string if_none_exist;
};

struct Suggestion {
  std::string uuid;
  std::string label;
  std::vector<Action> actions;
};

struct Card {
  std::string uuid;
  std::string summary;
  std::string detail;
  std::string indicator;
  std::string topic;         // cdshooks-card-type code
  std::string source_label;  // the payer's name (CRD resp-4)
  std::vector<Link> links;
  std::vector<Suggestion> suggestions;
  std::string selection_behavior;   // at-most-one | any, when there are suggestions
  std::string associated_resource;  // "ServiceRequest/123" (CRD dev-25)
};

// Every card `decision` calls for on `order`, in this order: the rule's card
// (or the prior-authorization notice), alternatives, additional orders, form
// completion, SMART app. `questionnaires_on_client`: the form questionnaire
// searches ("url=…&version=…") the EHR was found to hold already; their
// Questionnaire is not created again (CRD dev-20).
std::vector<Card> cards_for(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                            const CoverageDecision& decision,
                            std::span<const std::string> questionnaires_on_client = {});

// Writes a card as CDS Hooks 2.0 JSON with the CRD extensions.
void write_card(fhir::JsonWriter& w, const Card& card);

// Writes one action (of a suggestion, or a response's systemActions).
void write_action(fhir::JsonWriter& w, const Action& action);

}  // namespace crdex::cards
