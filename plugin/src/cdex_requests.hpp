#pragma once
// The JSON a host passes to the CDex functions (documented in docs/plugin.md):
//
// crdex_engine_cdex_create_task:
//   {"kind": "query" | "code",
//    "query": "Condition?patient=123",                       (kind query)
//    "code": {"system": "http://loinc.org", "code": "...", "text": "..."}  (kind code)
//    "for": Reference, "requester": Reference, "owner": Reference,
//    "reason": "text", "reason_reference": Reference,         (optional)
//    "post_to": "https://payer.example/fhir", "access_token": "..."}  (optional)
//
// crdex_engine_cdex_fulfil_task:
//   {"task": Task, "fhir_server": "https://ehr.example/fhir", "access_token": "...",
//    "code_queries": {"http://loinc.org|11506-3": "DocumentReference?patient={patient}&..."}}  (optional)
//
// Unknown keys are refused so that a misspelt optional key is not ignored.

#include <map>
#include <string>
#include <string_view>

#include "crdex/fhir/cdex_task.hpp"
#include "crdex/fhir/result.hpp"

namespace crdex::plugin {

struct CreateTaskRequest {
  fhir::cdex::DataRequest request;
  std::string post_to;  // empty: build only
  std::string access_token;
};

struct FulfilTaskRequest {
  std::string task;  // the Task, minified
  std::string fhir_server;
  std::string access_token;
  std::map<std::string, std::string> code_queries;
};

// Errors: not JSON (400, structure), a missing or mistyped member (400, the
// expression names it).
fhir::Result<CreateTaskRequest> read_create_task_request(std::string_view json);
fhir::Result<FulfilTaskRequest> read_fulfil_task_request(std::string_view json);

}  // namespace crdex::plugin
