// Fuzz target: a CDS Hooks call of arbitrary bytes, through the whole engine
// (JSON reading, request validation, prefetch checks, rule evaluation,
// response writing). Engine::call_service is noexcept and must answer every
// input with a status and a body; sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/hooks/engine.hpp"

namespace {

const crdex::hooks::Engine& engine() {
  static const crdex::hooks::Engine instance = [] {
    auto rules = crdex::config::RuleCatalog::load_directory(CRDEX_FUZZ_RULES_DIR);
    if (!rules) __builtin_trap();  // the example rules must load
    // A 1 ms budget: an input naming a fhirServer must not make the fuzzer
    // wait on the network; the fill's planning and failure paths still run.
    crdex::hooks::PrefetchFillOptions fill;
    fill.budget = std::chrono::milliseconds(1);
    return crdex::hooks::Engine(std::move(rules).value(), fill);
  }();
  return instance;
}

// The service whose hook the input names, so that seeds reach past the
// hook/service match; order-sign when none is named.
std::string_view service_for(std::string_view body) {
  constexpr std::string_view hooks[] = {"order-select", "order-dispatch", "appointment-book", "encounter-start",
                                        "encounter-discharge"};
  constexpr std::string_view services[] = {"crdex-order-select", "crdex-order-dispatch", "crdex-appointment-book",
                                           "crdex-encounter-start", "crdex-encounter-discharge"};
  for (size_t i = 0; i < std::size(hooks); ++i)
    if (body.find(hooks[i]) != std::string_view::npos) return services[i];
  return "crdex-order-sign";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto response = engine().call_service(service_for(body), body);
  if (response.status < 200 || response.status > 599 || response.body.empty()) __builtin_trap();
  return 0;
}
