#pragma once
// CDS Hooks 2.0 feedback (POST {baseUrl}/cds-services/{id}/feedback): what a
// clinician did with a card crdex returned. Read and checked here; stored by
// FeedbackStore.

#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"

namespace crdex::hooks {

struct CardFeedback {
  std::string card_uuid;
  std::string outcome;  // accepted | overridden
  std::string outcome_timestamp;
  std::vector<std::string> accepted_suggestions;  // suggestion uuids (accepted only)
  // overrideReason (overridden only, optional): the reason Coding and the comment.
  std::string override_system;
  std::string override_code;
  std::string override_display;
  std::string user_comment;
};

// Reads {"feedback": [...]}. Every item needs `card` (a UUID), `outcome`
// (accepted | overridden) and `outcomeTimestamp` (RFC 3339); `accepted` needs
// a non-empty `acceptedSuggestions` of {"id"}; `overrideReason` (only with
// `overridden`) holds a `reason` Coding with a code and an optional
// `userComment`. The first problem is a 400 whose expression names the
// element, e.g. "feedback[1].outcomeTimestamp".
fhir::Result<std::vector<CardFeedback>> read_feedback(std::string_view body);

}  // namespace crdex::hooks
