#pragma once
// Cards a clinician sees beside the coverage information: the payer's own card
// for a rule, or the prior-authorization notice crdex raises when a rule needs
// authorization and gives no card of its own.

#include <optional>
#include <string>
#include <vector>

#include "crdex/cards/coverage_decision.hpp"
#include "crdex/cards/order_under_review.hpp"
#include "crdex/config/payer_rule_set.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::cards {

inline constexpr const char* kCardTypeSystem = "http://terminology.hl7.org/CodeSystem/cdshooks-card-type";

struct Card {
  std::string uuid;
  std::string summary;
  std::string detail;
  std::string indicator;
  std::string topic;         // cdshooks-card-type code
  std::string source_label;  // the payer's name (CRD resp-4)
  std::vector<config::CardLink> links;
  std::string associated_resource;  // "ServiceRequest/123" (CRD dev-25)
};

// The card `decision` calls for on `order`, if any.
std::optional<Card> card_for(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                             const CoverageDecision& decision);

// Writes a card as CDS Hooks 2.0 JSON with the CRD extensions.
void write_card(fhir::JsonWriter& w, const Card& card);

}  // namespace crdex::cards
