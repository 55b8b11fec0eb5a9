#pragma once
// One group of HTTP endpoints beside the CDS services (rules publishing, launch
// contexts, CDex Tasks, admin reads, ...). The front end asks each module in
// turn whether it serves a path; the first that does answers. A module never
// writes to the connection itself: it returns an ApiAnswer and the front end
// sends it, so size limits, logging and draining stay in one place.

#include <pistache/http.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crdex::server {

struct ApiAnswer {
  int status = 200;
  std::string body;
  bool fhir_json = false;  // application/fhir+json (FHIR resources, OperationOutcome)
  std::vector<std::pair<std::string, std::string>> headers;
};

class ApiModule {
 public:
  virtual ~ApiModule() = default;

  // `path` never ends with '/' (except "/" itself).
  virtual bool serves(std::string_view path) const = 0;

  // Called for every method; answer 405 with an Allow header for the ones the
  // path does not take. Must not throw for bad input (answer 4xx instead).
  virtual ApiAnswer handle(const Pistache::Http::Request& request, std::string_view path) const = 0;

  // True when handle() may block (store writes, outgoing HTTP): the front end
  // then runs it on the worker pool instead of a Pistache event thread.
  virtual bool blocking() const { return false; }
};

}  // namespace crdex::server
