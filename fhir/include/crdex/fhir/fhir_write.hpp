#pragma once
// Creating a resource on a FHIR server (POST [base]/[type]): what a CDex Data
// Consumer does to hand a data-request Task to a Data Source. Same rules as
// Direct Query: the base URL must pass check_fhir_server_url, the bearer
// token is sent only in the Authorization header (and only when non-empty),
// no redirects, everything ends by the deadline.

#include <string_view>

#include "crdex/fhir/direct_query.hpp"

namespace crdex::fhir {

// POSTs `body` (application/fhir+json) to base_url/relative. The answer's body
// is the server's response (the created resource, or an OperationOutcome).
QueryAnswer post_resource(const FhirServerAccess& server, std::string_view relative, std::string_view body,
                          const DirectQueryOptions& options);

}  // namespace crdex::fhir
