#pragma once
// The one table of CRD card types (CRD Response Types): the codes of
// http://terminology.hl7.org/CodeSystem/cdshooks-card-type with the code
// system's displays (checked against CRD 2.x, CodeSystem "temp" before the
// codes moved to THO), and crdex's description of each as a discovery
// configuration option. The rule parser accepts these codes as card topics,
// cards write the display in source.topic, discovery names its options with it.

#include <array>
#include <string_view>

namespace crdex::config {

inline constexpr std::string_view kCardTypeSystem = "http://terminology.hl7.org/CodeSystem/cdshooks-card-type";

struct CardType {
  std::string_view code;
  std::string_view display;      // the code system's display
  std::string_view description;  // what enabling the type means (discovery option)
};

inline constexpr std::array<CardType, 15> kCardTypes{{
    {"coverage-info", "Coverage Information",
     "Whether the order is covered, needs prior authorization, or needs documentation (system action and "
     "prior-authorization cards)"},
    {"unsolicited-determ", "Unsolicited Determination", "Authorization decisions made without a request"},
    {"claim", "Claim", "What to do so that the claim for the order is paid"},
    {"insurance", "Insurance", "Changes to the patient's coverage records"},
    {"limits", "Limits", "Quantity or frequency limits of the patient's coverage"},
    {"network", "Network", "In-network providers and locations for the order"},
    {"appropriate-use", "Appropriate Use", "Whether appropriate-use documentation is needed"},
    {"cost", "Cost", "What the order is expected to cost the patient"},
    {"therapy-alternatives-opt", "Optional Therapy Alternatives", "Alternatives with better coverage or lower cost"},
    {"therapy-alternatives-req", "Required Therapy Alternatives", "Alternatives the payer requires to be tried first"},
    {"clinical-reminder", "Clinical Reminder", "Care the payer's records show is due"},
    {"duplicate-therapy", "Duplicate Therapy", "Orders that repeat care already given or scheduled"},
    {"contraindication", "Contraindication", "Contraindications the payer's records show"},
    {"guideline", "Guideline", "Payer guidelines and policies that apply to the order"},
    {"off-guideline", "Off Guideline", "Orders that depart from a best-practice guideline"},
}};

// The card type with `code`, or nullptr.
constexpr const CardType* find_card_type(std::string_view code) {
  for (const auto& type : kCardTypes)
    if (type.code == code) return &type;
  return nullptr;
}

}  // namespace crdex::config
