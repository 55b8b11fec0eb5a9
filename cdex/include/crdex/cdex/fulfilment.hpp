#pragma once
// How the Data Source answers one data request: which search answers it,
// for which patient, and the result as a resource the Task can contain. The
// server's DataSource worker and the plugin's fulfil-task call both use it.

#include <string>

#include "crdex/fhir/cdex_task.hpp"
#include "crdex/cdex/data_source.hpp"

namespace crdex::cdex {

struct Fulfilment {
  bool ok = false;
  std::string result;   // a searchset Bundle (or the resource read) with id "result", when ok
  std::string problem;  // statusReason.text when not ok
};

// The mapped search for a data-code request ("" when the code has none).
std::string mapped_query(const DataSourceOptions& options, const fhir::cdex::RequestedCode& code);

// Runs the request's search against the EHR's FHIR server (a data-code
// request first resolves the patient from Task.for: its reference, or its
// identifier through Patient?identifier=...). Never throws.
Fulfilment fulfil_request(const DataSourceOptions& options, const fhir::cdex::DataRequest& request);

}  // namespace crdex::cdex
