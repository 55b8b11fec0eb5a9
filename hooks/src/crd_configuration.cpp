#include "crdex/hooks/crd_configuration.hpp"

#include <algorithm>

namespace crdex::hooks {

bool CrdConfiguration::card_type_enabled(std::string_view topic) const {
  return std::find(disabled_card_types.begin(), disabled_card_types.end(), topic) == disabled_card_types.end();
}

CrdConfiguration read_crd_configuration(simdjson::dom::element request_root) {
  CrdConfiguration config;
  simdjson::dom::object settings;
  if (request_root["extension"]["davinci-crd.configuration"].get(settings) != simdjson::SUCCESS) return config;
  for (auto field : settings) {
    if (field.key == "max-cards") {
      int64_t max_cards = 0;
      if (field.value.get_int64().get(max_cards) == simdjson::SUCCESS && max_cards >= 0)
        config.max_cards = static_cast<int>(std::min<int64_t>(max_cards, 1000));
      continue;
    }
    bool enabled = true;
    if (field.value.get_bool().get(enabled) != simdjson::SUCCESS) continue;
    if (field.key == "crdex-rule-trace")
      config.rule_trace = enabled;
    else if (field.key == "crdex-smart-launch")
      config.smart_launch = enabled;
    else if (field.key == "coverage-info")
      config.coverage_info = enabled;
    else if (!enabled)
      config.disabled_card_types.emplace_back(field.key);
  }
  return config;
}

}  // namespace crdex::hooks
