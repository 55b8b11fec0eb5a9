#pragma once
// GET [base]/metadata for every FHIR base the route table serves (FHIR R4
// http.html#capabilities; conformance row FH-05): "/metadata" for the
// operations at the root ($submit-attachment), "/fhir/metadata" for /fhir/Task.
// Public, as FHIR servers' capabilities are: the statement names what is
// served and how to authenticate, no data.
//
// The bases are found in the other modules' routes (fhir_route.hpp) when the
// table is built; each answer is generated from the finished table
// (capability_statement.hpp), so it always matches what the server answers.

#include <memory>
#include <string>
#include <vector>

#include "api_module.hpp"
#include "capability_statement.hpp"
#include "http_front.hpp"

namespace crdex::server {

class FhirMetadataApi final : public ApiModule {
 public:
  // `state` outlives the module (it holds it); `modules` are the ones whose
  // routes the table will serve (their search parameters are asked for).
  FhirMetadataApi(const FrontState& state, std::vector<std::shared_ptr<const ApiModule>> modules,
                  std::string public_url, std::string software_version);

  std::vector<Route> routes() const override;

  // The CapabilityStatement for `base`, from the table as it now stands.
  std::string statement(const std::string& base) const;

 private:
  const FrontState& state_;
  std::vector<std::shared_ptr<const ApiModule>> modules_;
  std::string public_url_;
  std::string software_version_;
  std::string started_;  // FHIR dateTime: the statement's date
};

}  // namespace crdex::server
