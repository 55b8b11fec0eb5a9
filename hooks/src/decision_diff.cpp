#include "crdex/hooks/decision_diff.hpp"

#include <map>

#include "crdex/fhir/json_node.hpp"
#include "crdex/hooks/engine.hpp"

namespace crdex::hooks {

namespace {

using simdjson::dom::element;

constexpr std::string_view kCoverageInformationUrl =
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information";

}  // namespace

std::map<std::string, std::string> decisions_by_order(const ServiceResponse& response) {
  std::map<std::string, std::string> out;
  if (response.status != 200) {
    out[""] = std::to_string(response.status) + " " + response.body;
    return out;
  }
  simdjson::dom::parser parser;
  element root;
  simdjson::dom::array actions;
  if (parser.parse(response.body).get(root) != simdjson::SUCCESS ||
      root["systemActions"].get(actions) != simdjson::SUCCESS)
    return out;
  for (element action : actions) {
    std::string_view type, id;
    simdjson::dom::array extensions;
    if (action["resource"]["resourceType"].get(type) != simdjson::SUCCESS ||
        action["resource"]["id"].get(id) != simdjson::SUCCESS ||
        action["resource"]["extension"].get(extensions) != simdjson::SUCCESS)
      continue;
    std::string summary = "[";
    for (element extension : extensions) {
      std::string_view url;
      simdjson::dom::array parts;
      if (extension["url"].get(url) != simdjson::SUCCESS || url != kCoverageInformationUrl ||
          extension["extension"].get(parts) != simdjson::SUCCESS)
        continue;
      for (element part : parts) {
        std::string_view name;
        if (part["url"].get(name) != simdjson::SUCCESS || name == "coverage-assertion-id" || name == "date") continue;
        if (summary.size() > 1) summary.push_back(',');
        summary += simdjson::minify(part);
      }
    }
    summary.push_back(']');
    out[std::string(type) + "/" + std::string(id)] = std::move(summary);
  }
  return out;
}

std::vector<DecisionChange> diff_decisions(const std::shared_ptr<const config::RuleCatalog>& before,
                                           const std::shared_ptr<const config::RuleCatalog>& after,
                                           const std::vector<SampleRequest>& requests) {
  const Engine old_engine(before);
  const Engine new_engine(after);
  std::vector<DecisionChange> changes;
  for (size_t i = 0; i < requests.size(); ++i) {
    auto old_decisions = decisions_by_order(old_engine.call_service(requests[i].service_id, requests[i].body));
    auto new_decisions = decisions_by_order(new_engine.call_service(requests[i].service_id, requests[i].body));
    for (const auto& [order, decision] : old_decisions) {
      auto found = new_decisions.find(order);
      const std::string now = found == new_decisions.end() ? std::string() : found->second;
      if (now != decision) changes.push_back({i, order, decision, now});
    }
    for (const auto& [order, decision] : new_decisions)
      if (!old_decisions.contains(order)) changes.push_back({i, order, {}, decision});
  }
  return changes;
}

fhir::Result<std::vector<SampleRequest>> read_sample_requests(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure,
                       std::string("the request set is not valid JSON: ") + simdjson::error_message(error), ""};
  try {
    std::vector<SampleRequest> out;
    for (const auto& item : fhir::JsonNode(root, "$").items()) {
      item.expect_object();
      SampleRequest sample;
      sample.service_id = item.find("service") ? item.at("service").as_non_empty_string() : "crdex-order-sign";
      sample.body = simdjson::minify(item.at("request").expect_object().element());
      out.push_back(std::move(sample));
    }
    return out;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

}  // namespace crdex::hooks
