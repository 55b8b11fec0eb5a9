#include "fhir_metadata_api.hpp"

#include "crdex/hooks/timestamps.hpp"
#include "fhir_route.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

FhirMetadataApi::FhirMetadataApi(const FrontState& state, std::vector<std::shared_ptr<const ApiModule>> modules,
                                 std::string public_url, std::string software_version)
    : state_(state),
      modules_(std::move(modules)),
      public_url_(std::move(public_url)),
      software_version_(std::move(software_version)),
      started_(hooks::format_rfc3339_ms(hooks::now_epoch_ms())) {}

std::vector<Route> FhirMetadataApi::routes() const {
  std::vector<Route> served;
  for (const auto& module : modules_) {
    auto routes = module->routes();
    served.insert(served.end(), std::make_move_iterator(routes.begin()), std::make_move_iterator(routes.end()));
  }
  std::vector<Route> metadata;
  for (const auto& base : fhir_bases(served))
    metadata.push_back(Route{Http::Method::Get,
                             base + "/metadata",
                             AccessPolicy::public_access,
                             [this, base](const Http::Request&, const PathParams&) {
                               return ApiAnswer{200, statement(base), true, {}};
                             },
                             false,
                             {}});
  return metadata;
}

std::string FhirMetadataApi::statement(const std::string& base) const {
  CapabilityInputs inputs;
  inputs.base = base;
  inputs.public_url = public_url_;
  inputs.software_version = software_version_;
  inputs.date = started_;
  for (const auto& module : modules_)
    for (const auto& route : module->routes())
      if (auto params = module->search_params(route.pattern); !params.empty())
        inputs.search_params[route.pattern] = std::move(params);
  if (state_.gate && state_.gate->config().access_tokens)
    for (const auto& [iss, server] : state_.gate->config().access_tokens->servers().clients)
      inputs.token_issuers.push_back(iss);
  return capability_statement_json(state_.routes.routes(), inputs);
}

}  // namespace crdex::server
