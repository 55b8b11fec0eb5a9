#pragma once
// The one reader of credential files (publisher, admin, launch, CDex tokens):
// the token is the file's first line, trailing white space dropped, and it
// must have at least kMinTokenLength characters (a short token is guessable).
// Every option that takes a token file reads it here, so they all share one
// rule and one wording of their errors.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

inline constexpr size_t kMinTokenLength = 16;

// The token in `file`, or an Error (500, exception) that names `option` and
// the file: unreadable, empty, or shorter than kMinTokenLength.
Result<std::string> read_token_file(const std::filesystem::path& file, std::string_view option);

}  // namespace crdex::fhir
