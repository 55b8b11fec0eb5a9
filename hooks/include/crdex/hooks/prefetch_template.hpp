#pragma once
// Prefetch template hydration: turns a CDS Hooks prefetch template into the
// FHIR query the EHR would have run, reading the hook's context and earlier
// prefetch results. Pure: no I/O, no state.
//
// Tokens are `{{context.<field>}}`, `{{userPractitionerId}}` and its siblings
// (CDS Hooks 2.0), and the FHIRPath subset the CRD standard prefetch uses
// (CDS Hooks 3.0 ballot, pre-adopted by CRD): member paths (choice types such
// as `medication` read `medicationReference`), `resolve()`, `ofType(Type)`,
// `extension('url')`, `.id`, `|` unions, parenthesised unions as a step, and
// `%key` for an earlier prefetch result. A token's values are joined with ","
// (an OR in FHIR search).

#include <simdjson.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"

namespace crdex::hooks {

struct PrefetchScope {
  simdjson::dom::element context;  // the hook's context object
  // The value of another prefetch key (a resource or Bundle); nullopt when the
  // key has no data.
  std::function<std::optional<simdjson::dom::element>(std::string_view key)> prefetch;
};

// The query with every token replaced, or nullopt when some token yields no
// value: such a template is skipped (never sent as `_id=`). A template crdex
// cannot read (unknown function, unbalanced braces) is an error.
fhir::Result<std::optional<std::string>> hydrate_prefetch_template(std::string_view query_template,
                                                                   const PrefetchScope& scope);

// The prefetch keys a template reads with `%key`, in order of appearance.
std::vector<std::string> prefetch_template_dependencies(std::string_view query_template);

}  // namespace crdex::hooks
