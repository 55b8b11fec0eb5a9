#pragma once
// Which routes of the route table are FHIR REST interactions (FHIR R4 http.html):
// the CapabilityStatement (capability_statement.hpp) and the /metadata routes
// are derived from them, so what crdex claims is what its table serves.
//
// A pattern is read as [base]/[type]/... where [type] is the first segment
// that names a resource type (a capitalised word: "Task"), or as
// [base]/$[operation] / [base]/[type]/$[operation] / [base]/metadata:
//
//   GET  /fhir/Task           base "/fhir", Task, search-type
//   POST /fhir/Task           base "/fhir", Task, create
//   GET  /fhir/Task/{id}      base "/fhir", Task, read
//   POST /$submit-attachment  base "", system operation submit-attachment
//   GET  /fhir/metadata       base "/fhir", capabilities
//
// Every other route (CDS Hooks, the JSON admin APIs, the console) is not FHIR REST.

#include <pistache/http.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "route_table.hpp"

namespace crdex::server {

struct FhirRoute {
  std::string base;           // "" (the server's root) or "/fhir": where [base]/metadata is
  std::string resource_type;  // "" for a system-level operation or capabilities
  // A restful-interaction code (read, vread, update, delete, history-instance,
  // create, search-type, capabilities); empty for an operation.
  std::string interaction;
  std::string operation;  // "submit-attachment" (without '$'); empty for an interaction
};

// The FHIR interaction `method` + `pattern` serves; nullopt when it is not a FHIR route.
std::optional<FhirRoute> fhir_route_of(Pistache::Http::Method method, std::string_view pattern);

// Every FHIR base the table serves a resource or an operation under (not
// counting the /metadata routes themselves), sorted, each once.
std::vector<std::string> fhir_bases(const std::vector<Route>& routes);

}  // namespace crdex::server
