#pragma once
// One group of HTTP endpoints beside the CDS services (rules publishing, launch
// contexts, CDex Tasks, admin reads, ...). A module lists its routes (method,
// path pattern, access policy, handler); the front end puts them in its one
// route table, which answers 404 and 405 for every module alike.

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
};

}  // namespace crdex::server
