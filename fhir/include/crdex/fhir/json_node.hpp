#pragma once
// JsonNode: a parsed JSON value plus the path that leads to it.
//
// Readers of requests and rule files walk the input through JsonNode so that a
// problem is reported with its exact location ("context.draftOrders.entry[1].
// resource.id", "$.rules[3].then.pa-needed") instead of "bad input". Shape
// errors are thrown as JsonShapeError inside a component and turned into an
// Error (Result) at the component's boundary.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::fhir {

struct JsonShapeError : std::runtime_error {
  JsonShapeError(std::string path, const std::string& what)
      : std::runtime_error(what), path(std::move(path)) {}
  std::string path;
};

class JsonNode {
 public:
  JsonNode(simdjson::dom::element element, std::string path)
      : element_(element), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  simdjson::dom::element element() const { return element_; }

  bool is_object() const { return element_.is_object(); }
  bool is_array() const { return element_.is_array(); }
  bool is_string() const { return element_.is_string(); }
  bool is_null() const { return element_.is_null(); }

  // The member `key` of an object, or nullopt when absent. A member whose value
  // is JSON null is returned as a node (callers decide what null means).
  std::optional<JsonNode> find(std::string_view key) const;
  // Like find(), but absence is an error ("<path>.<key> is required").
  JsonNode at(std::string_view key) const;

  // Typed views; each throws JsonShapeError naming the path on a type mismatch.
  std::string_view as_string() const;
  std::string_view as_non_empty_string() const;
  bool as_bool() const;
  int64_t as_int() const;
  double as_number() const;
  // Elements of an array, each with its indexed path.
  std::vector<JsonNode> items() const;
  // Checks that the node is an object (throws otherwise) and returns it.
  const JsonNode& expect_object() const;

  // Convenience: the string member `key`, or "" when absent (throws if not a string).
  std::string_view string_or_empty(std::string_view key) const;

  [[noreturn]] void fail(const std::string& message) const;

 private:
  simdjson::dom::element element_;
  std::string path_;
};

// Reads an optional JSON member: `out` is set when the member exists with the
// right type and left alone otherwise. Returns whether it was set.
template <class T, class SimdjsonResult>
bool read_into(SimdjsonResult&& result, T& out) {
  return std::forward<SimdjsonResult>(result).get(out) == simdjson::SUCCESS;
}

// Joins a parent path and a member name ("" + "a" -> "a", "a" + "b" -> "a.b").
std::string child_path(std::string_view parent, std::string_view key);

}  // namespace crdex::fhir
