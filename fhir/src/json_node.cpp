#include "crdex/fhir/json_node.hpp"

#include <cmath>

namespace crdex::fhir {

std::string child_path(std::string_view parent, std::string_view key) {
  std::string path;
  path.reserve(parent.size() + key.size() + 1);
  path.append(parent);
  if (!parent.empty()) path.push_back('.');
  path.append(key);
  return path;
}

void JsonNode::fail(const std::string& message) const { throw JsonShapeError(path_, path_ + " " + message); }

std::optional<JsonNode> JsonNode::find(std::string_view key) const {
  if (!element_.is_object()) fail("must be a JSON object");
  simdjson::dom::element child;
  if (element_.get_object().value_unsafe().at_key(key).get(child) != simdjson::SUCCESS) return std::nullopt;
  return JsonNode(child, child_path(path_, key));
}

JsonNode JsonNode::at(std::string_view key) const {
  auto child = find(key);
  if (!child) throw JsonShapeError(child_path(path_, key), child_path(path_, key) + " is required");
  return *child;
}

std::string_view JsonNode::as_string() const {
  std::string_view value;
  if (element_.get_string().get(value) != simdjson::SUCCESS) fail("must be a string");
  return value;
}

std::string_view JsonNode::as_non_empty_string() const {
  const auto value = as_string();
  if (value.empty()) fail("must not be empty");
  return value;
}

bool JsonNode::as_bool() const {
  bool value = false;
  if (element_.get_bool().get(value) != simdjson::SUCCESS) fail("must be true or false");
  return value;
}

int64_t JsonNode::as_int() const {
  int64_t value = 0;
  if (element_.get_int64().get(value) == simdjson::SUCCESS) return value;
  double d = 0;
  // Accept 5.0 as 5, as JSON writers differ on integral doubles.
  if (element_.get_double().get(d) == simdjson::SUCCESS && std::floor(d) == d && std::fabs(d) < 9.0e15)
    return static_cast<int64_t>(d);
  fail("must be an integer");
}

double JsonNode::as_number() const {
  double value = 0;
  if (element_.get_double().get(value) != simdjson::SUCCESS) fail("must be a number");
  return value;
}

std::vector<JsonNode> JsonNode::items() const {
  if (!element_.is_array()) fail("must be a JSON array");
  std::vector<JsonNode> out;
  size_t index = 0;
  for (simdjson::dom::element item : element_.get_array()) {
    out.emplace_back(item, path_ + "[" + std::to_string(index++) + "]");
  }
  return out;
}

const JsonNode& JsonNode::expect_object() const {
  if (!element_.is_object()) fail("must be a JSON object");
  return *this;
}

std::string_view JsonNode::string_or_empty(std::string_view key) const {
  auto child = find(key);
  if (!child || child->is_null()) return {};
  return child->as_string();
}

}  // namespace crdex::fhir
