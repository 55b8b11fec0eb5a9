#include "support/json_checks.hpp"

#include <stdexcept>

#include "crdex/fhir/json_numbers.hpp"

namespace crdex::test {

namespace {
constexpr const char* kCoverageInformationUrl =
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information";

void walk(simdjson::dom::element e, const std::string& path, std::vector<std::string>& out) {
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE: out.push_back(path + " = null"); break;
    case simdjson::dom::element_type::STRING:
      if (std::string_view(e.get_string().value_unsafe()).empty()) out.push_back(path + " = \"\"");
      break;
    case simdjson::dom::element_type::ARRAY: {
      size_t i = 0;
      for (auto item : e.get_array()) walk(item, path + "[" + std::to_string(i++) + "]", out);
      if (i == 0 && path != "cards") out.push_back(path + " = []");
      break;
    }
    case simdjson::dom::element_type::OBJECT: {
      size_t n = 0;
      for (auto field : e.get_object()) {
        ++n;
        walk(field.value, path.empty() ? std::string(field.key) : path + "." + std::string(field.key), out);
      }
      if (n == 0) out.push_back(path + " = {}");
      break;
    }
    default: break;
  }
}
}  // namespace

Json::Json(const std::string& text) : parser_(std::make_unique<simdjson::dom::parser>()) {
  // Every valid JSON number, as crdex reads them (json_numbers.hpp).
  if (fhir::parse_json(*parser_, text, root_) != simdjson::SUCCESS)
    throw std::runtime_error("not JSON: " + text.substr(0, 200));
}

std::vector<std::string> empty_values(simdjson::dom::element element) {
  std::vector<std::string> out;
  walk(element, "", out);
  return out;
}

std::string minified(simdjson::dom::element element) { return simdjson::minify(element); }

std::vector<std::pair<std::string, std::string>> coverage_information_parts(simdjson::dom::element resource) {
  std::vector<std::pair<std::string, std::string>> parts;
  simdjson::dom::array extensions;
  if (resource["extension"].get(extensions) != simdjson::SUCCESS) return parts;
  for (auto extension : extensions) {
    std::string_view url;
    if (extension["url"].get(url) != simdjson::SUCCESS || url != kCoverageInformationUrl) continue;
    for (auto sub : extension["extension"].get_array()) {
      for (auto field : sub.get_object()) {
        if (field.key == "url") continue;
        parts.emplace_back(std::string(sub["url"].get_string().value_unsafe()), simdjson::minify(field.value));
      }
    }
  }
  return parts;
}

std::string coverage_information_code(simdjson::dom::element resource, const std::string& url) {
  for (const auto& [name, value] : coverage_information_parts(resource))
    if (name == url) return value.size() >= 2 && value.front() == '"' ? value.substr(1, value.size() - 2) : value;
  return {};
}

std::vector<std::vector<std::pair<std::string, std::string>>> coverage_information_of_actions(
    const std::string& answer_text) {
  Json answer(answer_text);
  std::vector<std::vector<std::pair<std::string, std::string>>> all;
  for (auto action : answer.root()["systemActions"].get_array()) {
    auto parts = coverage_information_parts(action["resource"].value());
    std::erase_if(parts, [](const auto& part) { return part.first == "coverage-assertion-id"; });
    all.push_back(std::move(parts));
  }
  return all;
}

}  // namespace crdex::test
