#pragma once
// An Engine over the example payer rules, and a call helper that parses the answer.

#include <memory>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_set_parser.hpp"
#include "crdex/hooks/engine.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

namespace crdex::test {

inline std::shared_ptr<const config::RuleCatalog> example_rules() {
  auto rules = config::RuleCatalog::load_directory(example_rules_dir());
  if (!rules) throw std::runtime_error(rules.error().message);
  return std::move(rules).value();
}

struct EngineFixture {
  hooks::Engine engine{example_rules()};

  struct Answer {
    int status;
    std::string text;
    std::unique_ptr<Json> json;
    simdjson::dom::element root() const { return json->root(); }
    // OperationOutcome diagnostics / expression of the first issue.
    std::string diagnostics() const { return std::string(std::string_view(root()["issue"].at(0)["diagnostics"])); }
    std::string expression() const {
      std::string_view e;
      if (root()["issue"].at(0)["expression"].at(0).get(e) != simdjson::SUCCESS) return {};
      return std::string(e);
    }
  };

  Answer call(const std::string& service, const std::string& body) const {
    auto response = engine.call_service(service, body);
    Answer answer{response.status, response.body, std::make_unique<Json>(response.body)};
    return answer;
  }
};

}  // namespace crdex::test
