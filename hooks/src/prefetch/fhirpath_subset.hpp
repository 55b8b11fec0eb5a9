#pragma once
// The FHIRPath subset of CDS Hooks prefetch tokens, evaluated while parsed
// (the expressions are short and used once). See prefetch_template.hpp for
// what the subset holds.

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "crdex/hooks/prefetch_template.hpp"

namespace crdex::hooks::detail {

// One item of a FHIRPath collection: a JSON value from the context or a
// prefetch result, a reference that resolve() turned into type and id (the
// templates only read the id and type of what they resolve, so nothing is
// fetched), or a text such as such an id.
struct PathItem {
  enum class Kind { json, reference, text } kind = Kind::json;
  simdjson::dom::element json;
  std::string type;  // reference: the resource type
  std::string text;  // reference: the id; text: the value
};

// Evaluates `expression` (the inside of one `{{ }}` token). Throws
// std::invalid_argument naming what it cannot read.
std::vector<PathItem> evaluate_fhirpath(std::string_view expression, const PrefetchScope& scope);

}  // namespace crdex::hooks::detail
