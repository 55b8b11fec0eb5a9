#pragma once
// Compares what two rule catalogs decide for the same hook requests: the
// publishing API's dry run and `crdex-rules diff` both answer "which
// decisions would change?" with it.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/config/rule_catalog.hpp"

namespace crdex::hooks {

// One hook request to evaluate: the CDS service id and the request body.
struct SampleRequest {
  std::string service_id;
  std::string body;
};

// One order whose decision differs. `before` / `after` are the order's
// coverage information without the per-call parts (assertion id, date), as
// a JSON array of sub-extensions, or an OperationOutcome when the call failed.
struct DecisionChange {
  size_t request = 0;  // index into the sample requests
  std::string order;   // "ServiceRequest/1357", or "" when the whole call differs
  std::string before;
  std::string after;
};

struct ServiceResponse;

// Each order's decision in a response, by order reference ("ServiceRequest/1357"):
// its coverage information without assertion id and date, as a JSON array of
// sub-extensions. A failed call maps "" to its status and body.
std::map<std::string, std::string> decisions_by_order(const ServiceResponse& response);

std::vector<DecisionChange> diff_decisions(const std::shared_ptr<const config::RuleCatalog>& before,
                                           const std::shared_ptr<const config::RuleCatalog>& after,
                                           const std::vector<SampleRequest>& requests);

// Reads a request set: a JSON array of {"service": id, "request": {...}}
// (service defaults to crdex-order-sign). Errors name the JSON path.
fhir::Result<std::vector<SampleRequest>> read_sample_requests(std::string_view json);

}  // namespace crdex::hooks
