#pragma once
// JSON helpers for assertions: parse once into an owned document, find
// members, and check the CDS Hooks "no null, empty string, empty array or
// empty object" rule (CH-03).

#include <simdjson.h>

#include <memory>
#include <string>
#include <vector>

namespace crdex::test {

// A parsed JSON document that owns its parser.
class Json {
 public:
  explicit Json(const std::string& text);
  simdjson::dom::element root() const { return root_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  simdjson::dom::element root_;
};

// Paths of every null / "" / [] / {} in `element`, except `cards: []` at the root.
std::vector<std::string> empty_values(simdjson::dom::element element);

// Minified JSON text of a value, for equality checks.
std::string minified(simdjson::dom::element element);

// The sub-extension values of a coverage-information extension, by url, as minified JSON.
std::vector<std::pair<std::string, std::string>> coverage_information_parts(simdjson::dom::element resource);

// Those parts for every systemAction of a CDS Hooks response, without the
// coverage-assertion-id (a fresh UUID per answer): comparable across answers.
std::vector<std::vector<std::pair<std::string, std::string>>> coverage_information_of_actions(
    const std::string& answer_text);

// The value of sub-extension `url` (e.g. "pa-needed") as text, or "" when absent.
std::string coverage_information_code(simdjson::dom::element resource, const std::string& url);

}  // namespace crdex::test
