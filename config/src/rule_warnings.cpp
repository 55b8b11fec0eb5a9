#include "rule_warnings.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace crdex::config {

std::string code_system_doubt(std::string_view system) {
  const auto colon = system.find(':');
  bool scheme_ok = colon != std::string_view::npos && colon > 0 && std::isalpha(static_cast<unsigned char>(system[0]));
  for (size_t i = 0; scheme_ok && i < colon; ++i) {
    const char c = system[i];
    scheme_ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  }
  if (!scheme_ok)
    return "is \"" + std::string(system) + "\", not an absolute URI: a code system is named by a URI such as "
           "http://www.ama-assn.org/go/cpt or urn:oid:…";
  std::string scheme(system.substr(0, colon));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "urn") return {};
  if (scheme == "http" || scheme == "https") {
    if (system.substr(colon + 1).starts_with("//") && system.size() > colon + 3) return {};
    return "is \"" + std::string(system) + "\": an " + scheme + " URI continues with \"//host/…\"";
  }
  return "is \"" + std::string(system) + "\": the scheme \"" + scheme +
         "\" looks misspelled (code systems are http://, https:// or urn: URIs)";
}

namespace {

void walk_systems(simdjson::dom::element value, const std::string& path, std::vector<RuleProblem>& out) {
  if (value.is_array()) {
    size_t index = 0;
    const simdjson::dom::array items = value.get_array().value_unsafe();  // a local: a temporary would dangle
    for (simdjson::dom::element item : items)
      walk_systems(item, path + "/" + std::to_string(index++), out);
    return;
  }
  if (!value.is_object()) return;
  const simdjson::dom::object object = value.get_object().value_unsafe();
  for (auto field : object) {
    const std::string child = path + "/" + std::string(field.key);
    std::string_view system;
    if (field.key == "system" && field.value.get_string().get(system) == simdjson::SUCCESS) {
      if (auto doubt = code_system_doubt(system); !doubt.empty()) out.push_back({"", child, doubt});
      continue;
    }
    walk_systems(field.value, child, out);
  }
}

}  // namespace

std::vector<RuleProblem> code_system_warnings(simdjson::dom::element root) {
  std::vector<RuleProblem> warnings;
  walk_systems(root, "", warnings);
  for (auto& w : warnings) {
    // "$.a.b[0]" for the path, as problems give it.
    std::string path = "$";
    size_t i = 1;
    while (i <= w.pointer.size()) {
      const auto next = std::min(w.pointer.find('/', i), w.pointer.size());
      const auto part = w.pointer.substr(i, next - i);
      const bool index = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
      path += index ? "[" + part + "]" : "." + part;
      i = next + 1;
    }
    w.path = path;
    w.message = path + " " + w.message;
  }
  return warnings;
}

}  // namespace crdex::config
