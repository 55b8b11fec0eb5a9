#pragma once
// One group of HTTP endpoints beside the CDS services (rules publishing, launch
// contexts, CDex Tasks, admin reads, ...). A module lists its routes (method,
// path pattern, access policy, handler); the front end puts them in its one
// route table, which answers 404 and 405 for every module alike.

#include <string>
#include <string_view>
#include <vector>

#include "api_answer.hpp"
#include "route_table.hpp"

namespace crdex::server {

class ApiModule {
 public:
  virtual ~ApiModule() = default;

  // The module's routes. Handlers may capture `this`: the front end keeps the
  // module alive as long as its table. A handler must not throw for bad input
  // (it answers 4xx instead).
  virtual std::vector<Route> routes() const = 0;

  // A FHIR search parameter one of the module's search routes reads (FHIR R4
  // search.html): the CapabilityStatement (capability_statement.hpp) lists them.
  struct SearchParam {
    std::string name;           // "status"
    std::string type;           // a search-param-type code: "token", "string", "date", ...
    std::string documentation;  // how crdex uses it
  };
  // The parameters the search route with `pattern` reads (GET /fhir/Task); none by default.
  virtual std::vector<SearchParam> search_params(std::string_view /*pattern*/) const { return {}; }
};

}  // namespace crdex::server
