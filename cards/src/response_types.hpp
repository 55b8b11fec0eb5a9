#pragma once
// Builders for the CRD response types that carry suggestions or SMART links.
// Each returns no card when the order cannot take that kind of suggestion.

#include <optional>

#include "crdex/cards/card.hpp"

namespace crdex::cards::detail {

// The fields every card starts from: uuid, texts, source, associated order.
template <class Template>
Card card_from(const config::PayerRuleSet& payer, const OrderUnderReview& order, const Template& t);

// Propose Alternate Request: one suggestion per alternative, each a single
// `update` of the order with its code replaced (CRD resp-53).
std::optional<Card> alternate_request_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                                           const config::AlternativesTemplate& alternatives);

// Identify Additional Orders: one suggestion per companion order, each a
// single `create` of a draft order for the same patient (CRD resp-57).
std::optional<Card> additional_orders_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                                           const config::CompanionsTemplate& companions);

// Request Form Completion: a suggestion creating a CRD questionnaire Task
// (profile-taskquestionnaire: ready, order, complete-questionnaire, the
// questionnaire and the after-completion action as inputs).
// When the payer ships the Questionnaire and the EHR is not known to hold it
// (`questionnaires_on_client`), the suggestion first creates it,
// conditionally (`davinci-crd.if-none-exist`, CRD dev-19).
std::optional<Card> form_completion_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                                         const config::FormTemplate& form,
                                         std::span<const std::string> questionnaires_on_client);

// Launch SMART Application: a `smart` link with its appContext.
Card smart_app_card(const config::PayerRuleSet& payer, const OrderUnderReview& order,
                    const config::SmartAppTemplate& app);

// The name of the element that holds what is ordered, by resource type
// ("code", "codeCodeableConcept", "medicationCodeableConcept"), or "" when
// crdex does not propose changes to that type.
std::string_view coded_element(std::string_view resource_type);

// True when `url` starts with one of the payer's prior-authorization portals
// (CRD resp-17, resp-23). Rule sets linking there are refused at load time;
// this is the last guard before a card is sent.
bool is_pa_portal(const config::PayerRuleSet& payer, std::string_view url);

// Writes a Coding-only CodeableConcept.
void write_concept(fhir::JsonWriter& w, const fhir::Coding& code);

// Copies `member` of the order (subject, encounter, requester) when present.
void copy_member(fhir::JsonWriter& w, const OrderUnderReview& order, std::string_view member);

std::string finish(fhir::JsonBuffer& buffer);

}  // namespace crdex::cards::detail
