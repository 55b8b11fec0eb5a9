#include "context_reading.hpp"

#include <algorithm>

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
}  // namespace

std::optional<simdjson::dom::element> find_in_prefetch(const HookRequest& request, std::string_view type,
                                                       std::string_view id) {
  if (!request.prefetch) return std::nullopt;
  for (auto field : request.prefetch->element().get_object()) {
    if (!field.value.is_object()) continue;
    if (is_match(field.value, type, id)) return field.value;
    simdjson::dom::array entries;
    if (field.value["entry"].get(entries) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element entry : entries) {
      simdjson::dom::element resource;
      if (entry["resource"].get(resource) == simdjson::SUCCESS && is_match(resource, type, id)) return resource;
    }
  }
  return std::nullopt;
}

}  // namespace crdex::hooks::detail
