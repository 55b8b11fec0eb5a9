#pragma once
// Hook request bodies for tests: the CRD guide's examples, and small requests
// built from parts so that each test shows exactly what it varies.

#include <string>

namespace crdex::test {

// The Coverage of the CRD guide's example requests (payer: Acme Health Plan).
std::string ig_coverage_bundle();

// A Coverage naming its payer with `payor` (a JSON array text).
std::string coverage(const std::string& id, const std::string& payor, const std::string& status = "active");

// An order-sign request with the given context members (JSON object text, the
// draftOrders Bundle included), prefetch object and root extension object.
std::string order_sign_request(const std::string& draft_orders_entries, const std::string& prefetch,
                               const std::string& extension = "");

// A draft ServiceRequest entry coded with `system`/`code`.
// The CPT code system, as the orders of the suites code their services.
inline const std::string kCpt = "http://www.ama-assn.org/go/cpt";

std::string service_request_entry(const std::string& id, const std::string& system, const std::string& code);

// Adds `"prefetch": <prefetch>` to a request that has none.
std::string with_prefetch(const std::string& request, const std::string& prefetch);

// Adds `"key": value` to the prefetch object of a request that has one.
std::string with_prefetch_key(const std::string& request, const std::string& key, const std::string& value);

// `text` with the first `from` replaced by `to` (throws when absent).
std::string replace_first(std::string text, const std::string& from, const std::string& to);

// A MedicationRequest coded with RxNorm `rxnorm`.
std::string medication_request(const std::string& id, const std::string& rxnorm);

// The guide's order-dispatch example (CRDServiceRequest2.json) with coverage
// information switched on and the dispatched MedicationRequests in prefetch
// (the example leaves them out).
std::string order_dispatch_request();

}  // namespace crdex::test
