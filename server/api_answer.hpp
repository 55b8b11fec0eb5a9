#pragma once
// What an endpoint answers. A handler never writes to the connection itself:
// it returns an ApiAnswer and the front end sends it, so size limits, logging
// and draining stay in one place.

#include <string>
#include <utility>
#include <vector>

namespace crdex::server {

struct ApiAnswer {
  int status = 200;
  std::string body;
  bool fhir_json = false;  // application/fhir+json (FHIR resources, OperationOutcome)
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace crdex::server
