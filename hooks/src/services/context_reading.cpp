#include "context_reading.hpp"

#include <algorithm>

#include "crdex/fhir/reference.hpp"
#include "crdex/hooks/prefetch_fill.hpp"

namespace crdex::hooks::detail {

using fhir::JsonNode;

std::string_view required_id(const JsonNode& context, std::string_view key) {
  return context.at(key).as_non_empty_string();
}

std::string_view optional_id(const JsonNode& context, std::string_view key) {
  auto node = context.find(key);
  if (!node || node->is_null()) return {};
  return node->as_non_empty_string();
}

std::vector<JsonNode> bundle_resources(const JsonNode& bundle) {
  bundle.expect_object();
  if (auto type = bundle.find("resourceType"); !type || type->as_string() != "Bundle")
    bundle.fail("must be a FHIR Bundle (resourceType \"Bundle\")");
  std::vector<JsonNode> resources;
  auto entries = bundle.find("entry");
  if (!entries || entries->is_null()) return resources;
  for (const auto& entry : entries->items()) {
    entry.expect_object();
    resources.push_back(entry.at("resource").expect_object());
  }
  return resources;
}

ResourceKey resource_key(const JsonNode& resource) {
  return {resource.at("resourceType").as_non_empty_string(), resource.at("id").as_non_empty_string()};
}

void add_unique(std::vector<cards::OrderUnderReview>& orders, cards::OrderUnderReview order) {
  const bool seen = std::any_of(orders.begin(), orders.end(), [&](const cards::OrderUnderReview& o) {
    return o.resource_type == order.resource_type && o.id == order.id;
  });
  if (!seen) orders.push_back(std::move(order));
}

namespace {
bool is_match(simdjson::dom::element resource, std::string_view type, std::string_view id) {
  std::string_view t, i;
  return resource["resourceType"].get(t) == simdjson::SUCCESS && t == type &&
         resource["id"].get(i) == simdjson::SUCCESS && i == id;
}

// A resource, or a Bundle holding it.
std::optional<simdjson::dom::element> find_in_value(simdjson::dom::element value, std::string_view type,
                                                    std::string_view id) {
  if (!value.is_object()) return std::nullopt;
  if (is_match(value, type, id)) return value;
  simdjson::dom::array entries;
  if (value["entry"].get(entries) != simdjson::SUCCESS) return std::nullopt;
  for (simdjson::dom::element entry : entries) {
    simdjson::dom::element resource;
    if (entry["resource"].get(resource) == simdjson::SUCCESS && is_match(resource, type, id)) return resource;
  }
  return std::nullopt;
}

}  // namespace

std::optional<simdjson::dom::element> find_in_prefetch(const HookRequest& request, std::string_view type,
                                                       std::string_view id) {
  if (request.prefetch) {
    for (auto field : request.prefetch->element().get_object())
      if (auto found = find_in_value(field.value, type, id)) return found;
  }
  if (request.filled) {
    for (const auto& [key, value] : request.filled->values)
      if (auto found = find_in_value(value, type, id)) return found;
  }
  return std::nullopt;
}

namespace {

std::optional<simdjson::dom::element> find_contained(simdjson::dom::element resource, std::string_view id) {
  simdjson::dom::array contained;
  if (resource["contained"].get(contained) != simdjson::SUCCESS) return std::nullopt;
  for (simdjson::dom::element candidate : contained) {
    std::string_view candidate_id;
    if (candidate["id"].get(candidate_id) == simdjson::SUCCESS && candidate_id == id) return candidate;
  }
  return std::nullopt;
}

}  // namespace

void add_referenced_codes(const HookRequest& request, const JsonNode& resource, cards::OrderUnderReview& order) {
  std::string_view reference_member, target_type, code_member;
  if (order.resource_type == "MedicationRequest") {
    reference_member = "medicationReference", target_type = "Medication", code_member = "code";
  } else if (order.resource_type == "DeviceRequest") {
    reference_member = "codeReference", target_type = "Device", code_member = "type";
  } else {
    return;
  }
  auto reference_node = resource.find(reference_member);
  if (!reference_node || reference_node->is_null()) return;
  const auto reference = reference_node->expect_object().string_or_empty("reference");
  if (reference.empty()) return;  // identifier or display only: nothing to resolve

  std::optional<simdjson::dom::element> target;
  if (reference.front() == '#') {
    target = find_contained(resource.element(), reference.substr(1));
  } else if (const auto parts = fhir::parse_reference(reference); parts.type == target_type) {
    target = find_in_prefetch(request, target_type, parts.id);
  }
  if (!target) {
    order.unassessable_because = std::string(order.resource_type) + "/" + std::string(order.id) + " refers to " +
                                 std::string(reference) + ", which the request does not include, so what is " +
                                 "ordered is unknown";
    // Say why when crdex tried to fetch it (a problem starts with its query).
    if (request.filled) {
      for (const auto& [key, problem] : request.filled->problems) {
        if (!problem.starts_with(std::string(target_type) + "?") && !problem.starts_with(std::string(target_type) + "/"))
          continue;
        order.unassessable_because += " (crdex could not fetch it from the EHR's FHIR server: " + problem + ")";
        break;
      }
    }
    return;
  }
  simdjson::dom::element code;
  if ((*target)[code_member].get(code) != simdjson::SUCCESS) return;
  const auto before = order.codes.size();
  fhir::append_codings(code, order.codes);
  if (order.codes.size() > before && order.description == order.resource_type) {
    std::string_view text;
    order.description = !order.codes[before].display.empty() ? order.codes[before].display
                         : fhir::read_into(code["text"], text) ? std::string(text)
                                                               : order.codes[before].code;
  }
}

}  // namespace crdex::hooks::detail
