#pragma once
// The JSON Canonicalization Scheme (JCS, RFC 8785): the one byte sequence that
// every equivalent JSON text maps to, so a signature over it survives
// re-indentation, member reordering and other spellings of the same number.
//
// CDex signs a Bundle's canonical form with the root `id`, `meta` and
// `signature` left out (CDex "Signatures": everything in the Bundle is signed
// except those three root elements; the entries keep theirs).
//
// What JCS asks for, and how it is done here:
// - members sorted by their names' UTF-16 code units (not by UTF-8 bytes: the
//   two orders differ for names with characters above U+FFFF);
// - no white space;
// - strings with only \" \\ \b \f \n \r \t and \u00xx (lower-case hex, for the
//   other control characters) escaped, everything else as UTF-8;
// - numbers as an IEEE-754 double written the way ECMAScript's
//   Number.prototype.toString writes it (shortest digits that read back to the
//   same double; 1e21 and above, and below 1e-6, in exponent form; -0 as 0);
// - duplicate member names are refused (I-JSON), so is a non-finite number.

#include <crdex/fhir/result.hpp>
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace crdex::cdex {

// `value` in ECMAScript's Number.prototype.toString form (RFC 8785 §3.2.2.3).
// Precondition: `value` is finite.
std::string es6_number(double value);

// The canonical form of `json` (a complete JSON text). Root-object members
// named in `omitted_root_members` are left out (only at the root). A text that
// is not JSON, or that JCS cannot represent, is an Error naming the reason.
fhir::Result<std::string> canonical_json(std::string_view json,
                                         const std::vector<std::string_view>& omitted_root_members = {});

// The same for an element already parsed with simdjson's DOM.
fhir::Result<std::string> canonical_json(simdjson::dom::element element,
                                         const std::vector<std::string_view>& omitted_root_members = {});

}  // namespace crdex::cdex
