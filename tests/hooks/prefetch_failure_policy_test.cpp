// Every prefetch template declares what a key crdex cannot get means
// (HAPI FHIR's CdsPrefetchFailureMode): the member's Coverage is required
// (fail -> 412), every other key may be missing (omit -> the orders that need
// it are indeterminate), and the engine answers by that declaration.

#include <boost/test/unit_test.hpp>

#include "crdex/hooks/service_descriptor.hpp"
#include <string>

using namespace crdex;
using crdex::hooks::PrefetchFailure;

BOOST_AUTO_TEST_SUITE(prefetch_failure_policy)

BOOST_AUTO_TEST_CASE(coverage_fails_the_call_and_every_other_key_is_omitted) {
  for (const auto* service : hooks::all_services()) {
    bool has_coverage = false;
    for (const auto& t : service->prefetch) {
      if (t.key == "coverage") {
        has_coverage = true;
        BOOST_TEST((t.on_failure == PrefetchFailure::fail), service->id);
      } else {
        BOOST_TEST((t.on_failure == PrefetchFailure::omit), std::string(service->id) + " " + std::string(t.key));
      }
    }
    BOOST_TEST(has_coverage, service->id);
  }
}

BOOST_AUTO_TEST_SUITE_END()
