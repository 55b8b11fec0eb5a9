#pragma once
// The CapabilityStatement crdex serves at [base]/metadata (FHIR R4
// capabilitystatement.html; conformance row FH-05), GENERATED from the route
// table: each FHIR route under the base (fhir_route.hpp) becomes a resource
// interaction, a search parameter (from the module that serves the search) or
// an operation, so the statement cannot claim what crdex does not serve nor
// miss what it does.
//
// What the generator adds from outside the table:
//   - the profiles the CDex guide's Data Source CapabilityStatement claims for
//     a resource crdex serves (Task: cdex-task-data-request), and the
//     canonical OperationDefinition of an operation the guide defines
//     ($submit-attachment);
//   - security: SMART Backend Services (restful-security-service
//     SMART-on-FHIR) when FHIR routes take access tokens, naming the
//     authorization servers whose tokens crdex accepts.

#include <map>
#include <string>
#include <vector>

#include "api_module.hpp"
#include "route_table.hpp"

namespace crdex::server {

struct CapabilityInputs {
  std::string base;  // "" (root) or "/fhir": only the table's routes under it are described
  // The search parameters each search route reads, by route pattern ("/fhir/Task").
  std::map<std::string, std::vector<ApiModule::SearchParam>> search_params;
  // The issuers (iss) of the authorization servers whose SMART Backend
  // Services access tokens crdex accepts (--authorization-servers); empty: none configured.
  std::vector<std::string> token_issuers;
  std::string public_url;        // --public-url, "" when not set: implementation.url is then omitted
  std::string software_version;  // "0.9.0"
  std::string date;              // FHIR dateTime the statement is dated (the server's start)
};

// The CapabilityStatement (application/fhir+json) for `inputs.base`.
std::string capability_statement_json(const std::vector<Route>& routes, const CapabilityInputs& inputs);

}  // namespace crdex::server
