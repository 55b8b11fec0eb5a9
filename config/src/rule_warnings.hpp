#pragma once
// Warnings about a rule set: what the schema allows but is probably a
// mistake. They never make a rule set invalid; `crdex-rules validate` prints
// them on stderr.

#include <simdjson.h>

#include <string_view>
#include <vector>

#include "crdex/config/rule_set_parser.hpp"

namespace crdex::config {

// Every "system" string of the document (codes, billing codes, identifiers)
// that is not an absolute URI, or whose scheme is not one code systems use
// (http, https, urn), such as "hhttps://…" or "http:/example.org".
std::vector<RuleProblem> code_system_warnings(simdjson::dom::element root);

// The reason `system` deserves a warning, or "" when it looks right.
std::string code_system_doubt(std::string_view system);

}  // namespace crdex::config
