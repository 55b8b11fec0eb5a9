#include "support/guide_ehr_data.hpp"

#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

#include <stdexcept>

namespace crdex::test {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

std::string without_member(const std::string& json, const std::string& name) {
  Json parsed(json);
  simdjson::dom::element value;
  if (parsed.root()[name].get(value) != simdjson::SUCCESS)
    throw std::runtime_error("without_member: the JSON has no member \"" + name + "\"");
  std::string whole = minified(parsed.root());
  const std::string member = "\"" + name + "\":" + minified(value);
  // The member followed by a comma, or (when last) preceded by one.
  if (auto at = whole.find(member + ","); at != std::string::npos) return whole.erase(at, member.size() + 1);
  if (auto at = whole.find("," + member); at != std::string::npos) return whole.erase(at, member.size() + 1);
  if (auto at = whole.find(member); at != std::string::npos) return whole.erase(at, member.size());
  throw std::runtime_error("without_member: cannot find \"" + name + "\" in the minified JSON");
}

void seed_guide_prefetch(const FhirServerProcess& fhir) {
  Json request(read_fixture("crd-ig/CRDServiceRequest.json"));
  std::string entries;
  const auto add = [&](simdjson::dom::element resource) {
    entries += (entries.empty() ? "" : ",") + std::string(R"({"resource":)") + minified(resource) + "}";
  };
  for (auto field : request.root()["prefetch"].get_object()) {
    if (field.value.is_null()) continue;
    std::string_view type = field.value["resourceType"];
    if (type != "Bundle") {
      add(field.value);
      continue;
    }
    for (auto entry : field.value["entry"].get_array()) add(entry["resource"]);
  }
  std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[)" + entries + "]}";
  replace_all(bundle, "http://example.org/someEHR/fhir/", "");
  fhir.seed(bundle);
}

}  // namespace crdex::test
