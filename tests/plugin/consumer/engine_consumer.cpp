// A C++ host that links the installed engine libraries (crdex::hooks, with
// crdex::cdex and crdex::smart beside it) instead of the plugin: it builds an
// engine over an empty rule catalog and prints its service discovery.

#include <iostream>

#include "crdex/cdex/fulfilment.hpp"
#include "crdex/config/rule_catalog.hpp"
#include "crdex/hooks/engine.hpp"
#include "crdex/smart/base64url.hpp"

int main() {
  auto catalog = crdex::config::RuleCatalog::build({});
  if (!catalog) {
    std::cerr << catalog.error().message << "\n";
    return 1;
  }
  const crdex::hooks::Engine engine(*catalog);
  const std::string discovery = engine.discovery();
  const crdex::cdex::DataSourceOptions no_mapping;
  const bool unmapped = crdex::cdex::mapped_query(no_mapping, {}).empty();
  std::cout << "engine: " << (discovery.find("\"crdex-order-sign\"") != std::string::npos ? "order-sign" : "none")
            << ", cdex: " << (unmapped ? "linked" : "?") << ", smart: " << crdex::smart::base64url_encode("crdex")
            << "\n";
  return 0;
}
