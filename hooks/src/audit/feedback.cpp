#include "crdex/hooks/feedback.hpp"

#include "crdex/fhir/json_node.hpp"
#include "crdex/hooks/timestamps.hpp"

namespace crdex::hooks {

namespace {

using fhir::JsonNode;

// 8-4-4-4-12 hexadecimal digits: the card uuids crdex hands out.
bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::string optional_string(const JsonNode& node, std::string_view key) {
  auto member = node.find(key);
  return member ? std::string(member->as_non_empty_string()) : std::string();
}

void read_override_reason(const JsonNode& reason_node, CardFeedback& out) {
  reason_node.expect_object();
  if (auto reason = reason_node.find("reason")) {
    reason->expect_object();
    out.override_code = reason->at("code").as_non_empty_string();
    out.override_system = optional_string(*reason, "system");
    out.override_display = optional_string(*reason, "display");
  }
  out.user_comment = optional_string(reason_node, "userComment");
  if (out.override_code.empty() && out.user_comment.empty())
    reason_node.fail("needs a reason Coding or a userComment");
}

CardFeedback read_item(const JsonNode& item) {
  item.expect_object();
  CardFeedback out;
  const auto card = item.at("card");
  out.card_uuid = card.as_non_empty_string();
  if (!is_uuid(out.card_uuid)) card.fail("is not a card uuid");

  const auto outcome = item.at("outcome");
  out.outcome = outcome.as_non_empty_string();
  if (out.outcome != "accepted" && out.outcome != "overridden")
    outcome.fail("is \"" + out.outcome + "\"; allowed: accepted, overridden");

  const auto timestamp = item.at("outcomeTimestamp");
  out.outcome_timestamp = timestamp.as_non_empty_string();
  if (!parse_rfc3339_ms(out.outcome_timestamp))
    timestamp.fail("is not an RFC 3339 date-time (e.g. 2026-11-22T03:04:05Z)");

  const auto suggestions = item.find("acceptedSuggestions");
  if (out.outcome == "accepted") {
    if (!suggestions) {
      const auto path = fhir::child_path(item.path(), "acceptedSuggestions");
      throw fhir::JsonShapeError(path, path + " is required when the outcome is accepted");
    }
    const auto list = suggestions->items();
    if (list.empty()) suggestions->fail("must name at least one accepted suggestion");
    for (const auto& suggestion : list)
      out.accepted_suggestions.emplace_back(suggestion.expect_object().at("id").as_non_empty_string());
  } else if (suggestions) {
    suggestions->fail("is only allowed when the outcome is accepted");
  }

  if (auto reason = item.find("overrideReason")) {
    if (out.outcome != "overridden") reason->fail("is only allowed when the outcome is overridden");
    read_override_reason(*reason, out);
  }
  return out;
}

}  // namespace

fhir::Result<std::vector<CardFeedback>> read_feedback(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(body.data(), body.size()).get(root); error != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure,
                       std::string("the feedback is not valid JSON: ") + simdjson::error_message(error), ""};
  try {
    const JsonNode document(root, "");
    if (!document.is_object()) return fhir::Error{400, fhir::IssueType::structure, "send {\"feedback\": [...]}", ""};
    const auto list = document.at("feedback").items();
    if (list.empty()) document.at("feedback").fail("must hold at least one item");
    std::vector<CardFeedback> out;
    out.reserve(list.size());
    for (const auto& item : list) out.push_back(read_item(item));
    return out;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

}  // namespace crdex::hooks
