// The console module on its own (console_api.hpp): which names it serves,
// what it reads from a folder, the policies its routes declare, and the
// patient list it makes of a FHIR server's search Bundle.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "console_api.hpp"
#include "crdex/config/rule_catalog.hpp"
#include "http_front.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;
using namespace crdex::server;

namespace {

std::shared_ptr<hooks::Engine> console_test_engine() {
  auto catalog = config::RuleCatalog::load_directory(test::example_rules_dir());
  BOOST_REQUIRE(catalog.ok());
  return std::make_shared<hooks::Engine>(*catalog);
}

void console_test_write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_console_api)

BOOST_AUTO_TEST_CASE(only_plain_file_names_of_known_types_are_servable) {
  for (const char* name : {"index.html", "app.js", "console.css", "favicon.svg", "example-order-sign.json", "a_b.png"})
    BOOST_TEST(!ConsoleApi::content_type_of(name).empty(), name);
  for (const char* name : {"", ".", "..", ".hidden.js", "a..js", "../app.js", "a/b.js", "a\\b.js", "app.js.map",
                           "app", "app.", "app.exe", "%2e%2e", "app.js%00.html", "a b.js"})
    BOOST_TEST(ConsoleApi::content_type_of(name).empty(), name);
  BOOST_TEST(ConsoleApi::content_type_of("app.js") == "text/javascript; charset=utf-8");
  BOOST_TEST(ConsoleApi::content_type_of("index.html") == "text/html; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(a_folder_is_read_once_and_only_its_servable_files_are_kept) {
  test::TempDir dir;
  console_test_write(dir.path() / "index.html", "<!doctype html>");
  console_test_write(dir.path() / "app.js", "export {};");
  console_test_write(dir.path() / "notes.md", "not served");
  console_test_write(dir.path() / ".secret.json", "{}");
  std::filesystem::create_directory(dir.path() / "sub.js");
  std::string problem;
  auto console = ConsoleApi::load(dir.path(), console_test_engine(), problem);
  BOOST_REQUIRE(console);
  BOOST_TEST(console->file_count() == 2u);
}

BOOST_AUTO_TEST_CASE(a_folder_without_an_index_is_refused) {
  test::TempDir dir;
  console_test_write(dir.path() / "app.js", "export {};");
  std::string problem;
  BOOST_TEST(!ConsoleApi::load(dir.path(), console_test_engine(), problem));
  BOOST_TEST(problem.find("index.html") != std::string::npos);
  BOOST_TEST(!ConsoleApi::load(dir.path() / "missing", console_test_engine(), problem));
}

BOOST_AUTO_TEST_CASE(the_files_are_public_and_the_code_and_patient_lists_are_for_cds_clients) {
  std::string problem;
  auto console = ConsoleApi::load(test::source_dir() / "console", console_test_engine(), problem);
  BOOST_REQUIRE_MESSAGE(console, problem);
  FrontState state;
  state.modules.push_back(console);
  BOOST_REQUIRE(state.build_routes());
  std::map<std::string, AccessPolicy> policies;
  for (const auto& route : state.routes.routes()) policies[route.pattern] = route.policy;
  BOOST_TEST((policies.at("/console") == AccessPolicy::public_access));
  BOOST_TEST((policies.at("/console/{file}") == AccessPolicy::public_access));
  BOOST_TEST((policies.at("/console/api/codes") == AccessPolicy::cds_client));
  BOOST_TEST((policies.at("/console/api/patients") == AccessPolicy::cds_client));
}

BOOST_AUTO_TEST_CASE(a_search_bundle_becomes_a_short_patient_list) {
  const std::string bundle = R"({"resourceType":"Bundle","type":"searchset","entry":[
    {"resource":{"resourceType":"Patient","id":"a","name":[{"text":"Ann Example"}]}},
    {"resource":{"resourceType":"OperationOutcome","id":"warning"}},
    {"resource":{"resourceType":"Patient","name":[{"family":"NoId"}]}},
    {"resource":{"resourceType":"Patient","id":"b","name":[{"use":"old","family":"Old"},{"given":["Bo"],"family":"New"}],
                 "identifier":[{"value":"77"}]}},
    {"resource":{"resourceType":"Patient","id":"c"}}]})";
  const auto list = console_patient_list("https://ehr.example.org/fhir", bundle, 2);
  BOOST_REQUIRE(list);
  test::Json json(*list);
  BOOST_TEST(std::string_view(json.root()["fhirServer"]) == "https://ehr.example.org/fhir");
  BOOST_TEST(bool(json.root()["more"]));  // "c" did not fit
  simdjson::dom::array patients = json.root()["patients"];
  BOOST_TEST_REQUIRE(patients.size() == 2u, *list);
  BOOST_TEST(std::string_view(patients.at(0)["name"]) == "Ann Example");
  BOOST_TEST(std::string_view(patients.at(1)["id"]) == "b");
  BOOST_TEST(std::string_view(patients.at(1)["name"]) == "Bo New");
  BOOST_TEST(std::string_view(patients.at(1)["identifiers"].at(0)) == "77");
  BOOST_TEST(!console_patient_list("x", R"({"resourceType":"Patient","id":"a"})", 20));
  BOOST_TEST(!console_patient_list("x", "not json", 20));
  BOOST_TEST(console_fhir_server_problem("ftp://ehr.example.org/fhir", false).has_value());
  BOOST_TEST(!console_fhir_server_problem("https://ehr.example.org/fhir", false).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
