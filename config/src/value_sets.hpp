#pragma once
// The CRD value sets a rule's outcome is checked against (CRD STU 2.2.1,
// ext-coverage-information required bindings) and the CDS Hooks card fields.

#include <algorithm>
#include <array>
#include <string_view>

#include "crdex/config/card_types.hpp"

namespace crdex::config::detail {

template <size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view code) {
  return std::find(set.begin(), set.end(), code) != set.end();
}

inline constexpr std::array<std::string_view, 4> kCovered{"covered", "not-covered", "conditional", "indeterminate"};
inline constexpr std::array<std::string_view, 6> kPaNeeded{"no-auth",   "auth-needed", "satisfied",
                                                           "performpa", "conditional", "indeterminate"};
inline constexpr std::array<std::string_view, 5> kDocNeeded{"clinical", "admin", "patient", "conditional",
                                                            "indeterminate"};
inline constexpr std::array<std::string_view, 5> kDocPurpose{"withpa", "withclaim", "withorder", "retain-doc", "OTH"};
inline constexpr std::array<std::string_view, 6> kInfoNeeded{"performer",       "location",    "timeframe",
                                                             "contract-window", "detail-code", "OTH"};
inline constexpr std::array<std::string_view, 6> kReasonCodes{"gold-card",          "no-member-found",
                                                              "no-active-coverage", "coverage-not-found",
                                                              "auth-out-network",   "technical"};
inline constexpr std::array<std::string_view, 3> kDetailCategories{"cat-limitation", "cat-decisional", "cat-other"};
inline constexpr std::array<std::string_view, 3> kIndicators{"info", "warning", "critical"};
// The card-type codes (CRD Response Types), from the one table of card types.
inline constexpr std::array<std::string_view, kCardTypes.size()> kCardTopics = [] {
  std::array<std::string_view, kCardTypes.size()> codes{};
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = kCardTypes[i].code;
  return codes;
}();
// Resource types CRD gives coverage information on (the extension's contexts).
inline constexpr std::array<std::string_view, 8> kOrderTypes{
    "ServiceRequest",     "DeviceRequest",        "MedicationRequest", "NutritionOrder",
    "VisionPrescription", "CommunicationRequest", "Appointment",       "Encounter"};

}  // namespace crdex::config::detail
