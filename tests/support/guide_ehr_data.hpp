#pragma once
// The CRD guide's example prefetch, stored in a test FHIR server as the EHR's
// own data: what Direct Query tests fetch back. The guide's request points at
// http://example.org/some-payer/fhir/crd; tests swap in the test server's URL.

#include <string>

#include "support/fhir_server_process.hpp"

namespace crdex::test {

inline constexpr const char* kGuideFhirServer = "http://example.org/some-payer/fhir/crd";

// Seeds every resource of the guide's CRDServiceRequest.json prefetch (Bundles
// unpacked), its references made relative to the server's base.
void seed_guide_prefetch(const FhirServerProcess& fhir);

// `body` with every occurrence of `from` replaced by `to`.
void replace_all(std::string& body, const std::string& from, const std::string& to);

// The JSON text minified, with one top-level member removed. Throws
// std::runtime_error when there is no such member.
std::string without_member(const std::string& json, const std::string& name);

}  // namespace crdex::test
