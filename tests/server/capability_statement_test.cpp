// FH-05 (conformance checklist: a CapabilityStatement at /metadata, FHIR
// version 4.0.1): every FHIR base crdex serves answers [base]/metadata with a
// CapabilityStatement that
// FHIR.js (tests/fhir-validator) finds valid, and that names every FHIR route
// of the route table (read from the server itself, --print-routes): each
// resource interaction and each operation, with the SMART Backend Services
// security the routes enforce.
#include <simdjson.h>

#include <boost/test/unit_test.hpp>
#include <map>

#include "openapi_server.hpp"

using namespace crdex;

namespace {

// What the test itself reads a FHIR route as (independently of server/fhir_route.cpp):
// base, resource type ("" at system level) and interaction code or "$operation".
struct Fh05Route {
  std::string base, type, what;
};

std::optional<Fh05Route> fh05_fhir_route(const std::string& method, const std::string& pattern) {
  const auto dollar = pattern.find("/$");
  if (dollar != std::string::npos) return Fh05Route{pattern.substr(0, dollar), "", pattern.substr(dollar + 1)};
  for (size_t at = 0; (at = pattern.find('/', at)) != std::string::npos; ++at) {
    if (at + 1 >= pattern.size() || !std::isupper(static_cast<unsigned char>(pattern[at + 1]))) continue;
    const auto end = pattern.find('/', at + 1);
    const std::string type = pattern.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
    const std::string rest = end == std::string::npos ? "" : pattern.substr(end);
    std::string what = rest.empty()      ? (method == "GET"    ? "search-type"
                                            : method == "POST" ? "create"
                                                               : "?")
                       : rest == "/{id}" ? (method == "GET"      ? "read"
                                            : method == "PUT"    ? "update"
                                            : method == "DELETE" ? "delete"
                                                                 : "?")
                                         : "?";
    return Fh05Route{pattern.substr(0, at), type, what};
  }
  return std::nullopt;
}

bool fh05_has(simdjson::dom::array list, std::string_view key, std::string_view value) {
  for (auto item : list)
    if (std::string_view text; item[key].get(text) == simdjson::SUCCESS && text == value) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_capabilities)

BOOST_FIXTURE_TEST_CASE(FH_05_metadata_under_every_fhir_base_is_a_valid_capability_statement_naming_every_fhir_route,
                        test::OpenApiServer) {
  std::map<std::string, std::vector<Fh05Route>> by_base;
  for (const auto& [method, pattern] : routes())
    if (auto fhir = fh05_fhir_route(method, pattern); fhir && !pattern.ends_with("/metadata"))
      by_base[fhir->base].push_back(*fhir);
  BOOST_TEST(by_base.contains(""));       // POST /$submit-attachment
  BOOST_TEST(by_base.contains("/fhir"));  // /fhir/Task

  std::string all = "[";
  for (const auto& [base, fhir_routes] : by_base) {
    const auto answer = test::http_get(server->base_url() + base + "/metadata");
    BOOST_TEST_CONTEXT(base + "/metadata") {
      BOOST_TEST(answer.status == 200);
      BOOST_TEST(answer.header("content-type") == "application/fhir+json");
      simdjson::dom::parser parser;
      simdjson::dom::element statement;
      BOOST_REQUIRE(parser.parse(answer.body).get(statement) == simdjson::SUCCESS);
      BOOST_TEST(std::string_view(statement["resourceType"]) == "CapabilityStatement");
      BOOST_TEST(std::string_view(statement["fhirVersion"]) == "4.0.1");
      BOOST_TEST(std::string_view(statement["kind"]) == "instance");
      BOOST_TEST(std::string_view(statement["format"].at(0)) == "json");
      BOOST_TEST(std::string_view(statement["implementation"]["url"]) == std::string(test::kOpenApiPublicUrl) + base);
      auto rest = statement["rest"].at(0);
      BOOST_TEST(std::string_view(rest["mode"]) == "server");
      BOOST_TEST(std::string_view(rest["security"]["service"].at(0)["coding"].at(0)["code"]) == "SMART-on-FHIR");
      BOOST_TEST(std::string_view(rest["security"]["description"]).find(test::kOpenApiAsIssuer) !=
                 std::string_view::npos);
      for (const auto& route : fhir_routes) {
        BOOST_TEST_CONTEXT(route.type << " " << route.what) {
          if (route.type.empty()) {
            BOOST_TEST(fh05_has(rest["operation"].get_array(), "name", route.what.substr(1)));
            continue;
          }
          simdjson::dom::element resource;
          for (auto candidate : rest["resource"].get_array())
            if (std::string_view(candidate["type"]) == route.type) resource = candidate;
          BOOST_REQUIRE(resource.is_object());
          if (route.what.starts_with('$'))
            BOOST_TEST(fh05_has(resource["operation"].get_array(), "name", route.what.substr(1)));
          else
            BOOST_TEST(fh05_has(resource["interaction"].get_array(), "code", route.what));
        }
      }
    }
    if (base == "/fhir") {
      // The CDex guide's Data Source claims, and the search the Task route really takes.
      BOOST_TEST(answer.body.find("StructureDefinition/cdex-task-data-request|2.1.0") != std::string::npos);
      BOOST_TEST(answer.body.find(R"("searchParam":[{"name":"status","type":"token")") != std::string::npos);
    } else {
      BOOST_TEST(answer.body.find("http://hl7.org/fhir/us/davinci-cdex/OperationDefinition/submit-attachment") !=
                 std::string::npos);
    }
    all += (all.size() > 1 ? "," : "") + answer.body;
  }
  all += "]";
  const auto file = dir.path() / "capability-statements.json";
  std::ofstream(file) << all;
  int code = -1;
  const std::string report = test::openapi_run(
      "node '" + (test::source_dir() / "tests/fhir-validator/validate.js").string() + "' '" + file.string() + "'",
      code);
  BOOST_TEST(code == 0, report);
  BOOST_TEST(report.find("\"valid\":true") != std::string::npos, report);
}

BOOST_AUTO_TEST_SUITE_END()
