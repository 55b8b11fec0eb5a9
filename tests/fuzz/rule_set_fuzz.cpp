// Fuzz target: a payer rule file of arbitrary bytes through the rule-set
// parser (the rules API and crdex-rules take such files from payers). It must
// return a rule set or an error naming the problem, never crash or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crdex/config/rule_set_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const auto parsed = crdex::config::parse_rule_set(json, "fuzz-input.json");
  if (!parsed && parsed.error().message.empty()) __builtin_trap();  // every refusal says why
  return 0;
}
