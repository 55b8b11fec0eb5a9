// The FHIR routes of the table (fhir_route.hpp) and the CapabilityStatement
// generated from them (capability_statement.hpp, fhir_metadata_api.hpp): a
// route a module adds shows up in [base]/metadata with no other change.

#include <boost/test/unit_test.hpp>

#include "capability_statement.hpp"
#include "fhir_metadata_api.hpp"
#include "fhir_route.hpp"
#include "http_front.hpp"

using namespace crdex::server;
namespace Http = Pistache::Http;

namespace {

std::string fhir_route_text(Http::Method method, std::string_view pattern) {
  const auto route = fhir_route_of(method, pattern);
  if (!route) return "-";
  return "[" + route->base + "] " + route->resource_type + " " + route->interaction +
         (route->operation.empty() ? "" : "$" + route->operation);
}

// A module serving a few FHIR routes of its own, one of them a search.
class FhirTestModule final : public ApiModule {
 public:
  std::vector<Route> routes() const override {
    auto answer = [](const Http::Request&, const PathParams&) { return ApiAnswer{200, "{}", true, {}}; };
    return {Route{Http::Method::Get, "/r4/Patient/{id}", AccessPolicy::data_consumer, answer, false, {}},
            Route{Http::Method::Put, "/r4/Patient/{id}", AccessPolicy::data_consumer, answer, false, {}},
            Route{Http::Method::Get, "/r4/Patient", AccessPolicy::data_consumer, answer, false, {}},
            Route{Http::Method::Post, "/r4/Claim/$submit", AccessPolicy::provider_system, answer, false, {}},
            Route{Http::Method::Get, "/admin/things", AccessPolicy::admin, answer, false, {}}};
  }
  std::vector<SearchParam> search_params(std::string_view pattern) const override {
    if (pattern == "/r4/Patient") return {{"family", "string", "Patient.name.family"}};
    return {};
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_metadata)

BOOST_AUTO_TEST_CASE(routes_are_read_as_fhir_interactions_and_operations) {
  using M = Http::Method;
  BOOST_TEST(fhir_route_text(M::Get, "/fhir/Task") == "[/fhir] Task search-type");
  BOOST_TEST(fhir_route_text(M::Post, "/fhir/Task") == "[/fhir] Task create");
  BOOST_TEST(fhir_route_text(M::Get, "/fhir/Task/{id}") == "[/fhir] Task read");
  BOOST_TEST(fhir_route_text(M::Put, "/fhir/Task/{id}") == "[/fhir] Task update");
  BOOST_TEST(fhir_route_text(M::Get, "/fhir/Task/{id}/_history/{vid}") == "[/fhir] Task vread");
  BOOST_TEST(fhir_route_text(M::Post, "/$submit-attachment") == "[]  $submit-attachment");
  BOOST_TEST(fhir_route_text(M::Post, "/fhir/Claim/$submit") == "[/fhir] Claim $submit");
  BOOST_TEST(fhir_route_text(M::Get, "/fhir/metadata") == "[/fhir]  capabilities");
  BOOST_TEST(fhir_route_text(M::Get, "/metadata") == "[]  capabilities");
  for (const char* not_fhir : {"/cds-services/{id}", "/attachments/{id}/content/{n}", "/payers/{payer}/rules:validate",
                               "/.well-known/jwks.json", "/console/{file}", "/fhir/Task/{id}/extra"})
    BOOST_TEST(fhir_route_text(M::Get, not_fhir) == "-", not_fhir);
}

BOOST_AUTO_TEST_CASE(a_module_s_fhir_routes_get_their_metadata_route_and_statement) {
  FrontState state;
  state.modules.push_back(std::make_shared<FhirTestModule>());
  state.modules.push_back(
      std::make_shared<FhirMetadataApi>(state, state.modules, "https://crdex.example.org/", "1.2.3"));
  BOOST_REQUIRE(state.build_routes());
  const auto match = state.routes.match(Http::Method::Get, "/r4/metadata");
  BOOST_REQUIRE(match.route);
  BOOST_TEST((match.route->policy == AccessPolicy::public_access));
  BOOST_TEST(!state.routes.match(Http::Method::Get, "/metadata").route);  // no FHIR route at the root

  const auto metadata = std::dynamic_pointer_cast<const FhirMetadataApi>(state.modules.back());
  const std::string statement = metadata->statement("/r4");
  BOOST_TEST(statement.find(R"("fhirVersion":"4.0.1")") != std::string::npos);
  BOOST_TEST(statement.find(R"("url":"https://crdex.example.org/r4")") != std::string::npos);
  BOOST_TEST(statement.find(R"("software":{"name":"crdex-server","version":"1.2.3"})") != std::string::npos);
  BOOST_TEST(statement.find(R"({"type":"Claim","operation":[{"name":"submit","definition":)") != std::string::npos,
             statement);
  BOOST_TEST(
      statement.find(R"("type":"Patient","interaction":[{"code":"read"},{"code":"update"},{"code":"search-type"}])") !=
          std::string::npos,
      statement);
  BOOST_TEST(statement.find(R"("searchParam":[{"name":"family","type":"string")") != std::string::npos);
  BOOST_TEST(statement.find("SMART-on-FHIR") != std::string::npos);
  BOOST_TEST(statement.find("things") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_base_without_access_token_routes_claims_no_security_and_no_empty_arrays) {
  auto answer = [](const Http::Request&, const PathParams&) { return ApiAnswer{}; };
  const std::vector<Route> routes = {
      Route{Http::Method::Post, "/$ping", AccessPolicy::public_access, answer, false, {}}};
  CapabilityInputs inputs;
  inputs.date = "2026-12-05T12:00:00.000Z";
  const std::string statement = capability_statement_json(routes, inputs);
  BOOST_TEST(statement.find("security") == std::string::npos);
  BOOST_TEST(statement.find("\"resource\"") == std::string::npos);  // FHIR JSON has no empty arrays
  BOOST_TEST(statement.find(R"("operation":[{"name":"ping")") != std::string::npos, statement);
  BOOST_TEST(statement.find("implementation\":{\"description\"") != std::string::npos);
  BOOST_TEST(statement.find("\"url\"") == std::string::npos);  // no --public-url: no implementation.url
}

BOOST_AUTO_TEST_SUITE_END()
