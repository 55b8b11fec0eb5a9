#pragma once
// crdex_result: what a call hands back to the host. Immutable once built;
// the strings it owns are what the accessors point into, so the pointers
// stay valid until crdex_result_free.

#include <string>

#include "crdex/crdex.h"
#include "crdex/fhir/result.hpp"

struct crdex_result {
  crdex_status status = CRDEX_OK;
  int http_status = 200;
  std::string json;               // the answer on success, empty on failure
  std::string operation_outcome;  // the explanation on failure, empty on success
  std::string message;            // one sentence on failure, empty on success
};

namespace crdex::plugin {

// The crdex_status that stands for an HTTP status the engine answered.
crdex_status status_for_http(int http_status);

// A successful result carrying `json`.
crdex_result* success_result(std::string json);

// A failed result from an engine answer (status + OperationOutcome body); its
// message is the OperationOutcome's diagnostics.
crdex_result* engine_failure_result(int http_status, std::string operation_outcome);

// A failed result from an Error found by the plugin itself.
crdex_result* error_result(crdex_status status, const fhir::Error& error);

// Hands `result` to the host when it asked for one (`out` not NULL), records
// the failure message for crdex_last_error_message, and returns its status.
crdex_status deliver(crdex_result* result, crdex_result** out);

// For calls refused before any work (NULL engine, NULL input...): records the
// message and, when the host asked for a result, gives one saying the same.
crdex_status refuse(crdex_status status, int http_status, const std::string& message, crdex_result** out);

}  // namespace crdex::plugin
