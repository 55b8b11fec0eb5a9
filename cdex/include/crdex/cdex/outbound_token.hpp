#pragma once
// Where the CDex components get the bearer token for a call they are about to
// make: the face (crdex-server) maps each configured destination to its
// credential — a SMART Backend Services client (private_key_jwt, cached
// tokens) or a pasted static token — and hands the components this lookup,
// so a token is fetched when it is needed (a poll hours later gets a fresh
// one) and never stored.

#include <functional>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::cdex {

// The bearer token for a call to `url`: "" when none is configured, an Error
// (no secret in it) when one is configured but cannot be obtained now.
using TokenFor = std::function<fhir::Result<std::string>(std::string_view url)>;

}  // namespace crdex::cdex
