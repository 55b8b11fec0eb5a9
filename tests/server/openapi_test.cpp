// docs/openapi.json against the real crdex-server (issue 19, item 6): the
// route table of a fully configured server (--print-routes) and the document
// name the same routes (a route missing from the document fails here), GET
// /openapi.json serves the document byte for byte, and real answers of every
// route (a success where this suite can produce one, and at least one error
// each) are checked against the document by an independent OpenAPI 3.1
// validator (tests/openapi/check-answers.mjs, @hyperjump/json-schema pinned by
// its package-lock.json): status declared, content type declared, body valid
// against the declared schema.
#include <simdjson.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <cstdlib>

#include "openapi_server.hpp"

using namespace crdex;

namespace {

std::string openapi_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// A string member of a JSON answer ("" when absent).
std::string openapi_member(const std::string& json, std::initializer_list<const char*> path) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(json).get(element)) return {};
  for (const char* key : path) {
    if (element.is_array()) {
      simdjson::dom::array array = element.get_array();
      if (array.size() == 0) return {};
      element = array.at(0);
    }
    if (element.at_key(key).get(element)) return {};
  }
  if (element.is_int64()) return std::to_string(int64_t(element));
  std::string_view text;
  return element.get(text) ? std::string() : std::string(text);
}

// The calls, route family by route family. Ids made by one call are used by the next.
void call_every_route(test::OpenApiServer& s) {
  const std::string payer = std::string("/payers/") + test::kOpenApiPayer;
  const std::string rules = test::read_file(test::example_rules_dir() / "acme-health-plan.json");
  const std::string order_sign = test::read_file(test::source_dir() / "examples/requests/order-sign.json");
  const std::string documents = s.access_token("system/DocumentReference.crs");
  const std::string tasks = s.access_token("system/Task.crs");

  // CDS Hooks: discovery, a hook call, feedback, the console's codes.
  s.call("GET", "/cds-services", "/cds-services", "", 200);
  s.call_oversized("GET", "/cds-services", "/cds-services");
  const std::string sign = "/cds-services/crdex-order-sign";
  const auto cards = s.call("POST", "/cds-services/{id}", sign, s.client_jwt(sign), 200, order_sign);
  s.call("POST", "/cds-services/{id}", sign, "", 401, order_sign);
  s.call("POST", "/cds-services/{id}", "/cds-services/no-such-service", s.client_jwt("/cds-services/no-such-service"),
         404, order_sign);
  s.call("POST", "/cds-services/{id}", sign, s.client_jwt(sign), 415, order_sign, "text/plain");
  const std::string card = openapi_member(cards.body, {"cards", "uuid"});
  BOOST_TEST(!card.empty(), cards.body);
  const std::string feedback = sign + "/feedback";
  s.call(
      "POST", "/cds-services/{id}/feedback", feedback, s.client_jwt(feedback), 200,
      R"({"feedback":[{"card":")" + card +
          R"(","outcome":"overridden","outcomeTimestamp":"2026-11-22T03:05:00Z","overrideReason":{"userComment":"on file"}}]})");
  s.call("POST", "/cds-services/{id}/feedback", feedback, s.client_jwt(feedback), 400, R"({"feedback":[]})");
  s.call("GET", "/console/api/codes", "/console/api/codes", s.client_jwt("/console/api/codes"), 200);
  s.call("GET", "/console/api/codes", "/console/api/codes", "", 401);
  // No --console-fhir-server here: the patient search answers 404 naming the option.
  s.call("GET", "/console/api/patients", "/console/api/patients", s.client_jwt("/console/api/patients"),
         404);
  s.call("GET", "/console/api/patients", "/console/api/patients", "", 401);

  // Rule publishing.
  s.call("GET", "/payers/{payer}/rules", payer + "/rules", s.publisher, 200);
  s.call("GET", "/payers/{payer}/rules", payer + "/rules", "", 401);
  s.call("PUT", "/payers/{payer}/rules", payer + "/rules", s.publisher, 201, rules);
  s.call("PUT", "/payers/{payer}/rules", payer + "/rules", s.publisher, 422, R"({"payer":{"id":"acme-health-plan"}})");
  s.call("GET", "/payers/{payer}/rules/versions", payer + "/rules/versions", s.publisher, 200);
  s.call("GET", "/payers/{payer}/rules/versions", payer + "/rules/versions", s.admin_token, 403);
  s.call("GET", "/payers/{payer}/rules/versions/{version}", payer + "/rules/versions/1", s.publisher, 200);
  s.call("GET", "/payers/{payer}/rules/versions/{version}", payer + "/rules/versions/99", s.publisher, 404);
  s.call("POST", "/payers/{payer}/rules/rollback", payer + "/rules/rollback", s.publisher, 200, R"({"version":1})");
  s.call("POST", "/payers/{payer}/rules/rollback", payer + "/rules/rollback", s.publisher, 400, R"({"version":"one"})");
  s.call("POST", "/payers/{payer}/rules:validate", payer + "/rules:validate", s.publisher, 200, rules);
  s.call("POST", "/payers/{payer}/rules:validate", payer + "/rules:validate", s.publisher, 422, R"({"rules":7})");
  s.call("POST", "/payers/{payer}/rules:dry-run", payer + "/rules:dry-run", s.publisher, 200,
         R"({"ruleSet":)" + rules + R"(,"requests":[{"service":"crdex-order-sign","request":)" + order_sign + "}]}");
  s.call("POST", "/payers/{payer}/rules:dry-run", payer + "/rules:dry-run", s.publisher, 400, R"({"requests":[]})");

  // Admin reads.
  s.call("GET", "/admin/audit", "/admin/audit?limit=5", s.admin_token, 200);
  s.call("GET", "/admin/audit", "/admin/audit?limit=0", s.admin_token, 400);
  s.call("GET", "/admin/audit/stats", "/admin/audit/stats", s.admin_op, 200);
  s.call("GET", "/admin/audit/stats", "/admin/audit/stats", "", 401);
  s.call("GET", "/admin/feedback", "/admin/feedback", s.admin_token, 200);
  s.call("GET", "/admin/feedback", "/admin/feedback", s.attach_op, 403);

  // CDex Data Source (the FHIR face) and review.
  const auto created = s.call("POST", "/fhir/Task", "/fhir/Task", tasks, 201,
                              test::read_fixture("cdex-ig/cdex-task-example1.json"), "application/fhir+json");
  s.call("POST", "/fhir/Task", "/fhir/Task", tasks, 422, R"({"resourceType":"Patient"})", "application/fhir+json");
  s.call("GET", "/fhir/Task", "/fhir/Task?status=requested", tasks, 200);
  s.call("GET", "/fhir/Task", "/fhir/Task", "", 401);
  const std::string task_id = openapi_member(created.body, {"id"});
  s.call("GET", "/fhir/Task/{id}", "/fhir/Task/" + task_id, tasks, 200);
  s.call("GET", "/fhir/Task/{id}", "/fhir/Task/no-such-task", tasks, 404);
  s.call("GET", "/cdex/review", "/cdex/review", s.cdex_admin, 200);
  s.call("GET", "/cdex/review", "/cdex/review", "", 401);
  s.call("POST", "/cdex/review/{id}/approve", "/cdex/review/no-such-task/approve", s.cdex_admin, 404, "{}");
  s.call("POST", "/cdex/review/{id}/reject", "/cdex/review/no-such-task/reject", s.cdex_admin, 404,
         R"({"reason":"no"})");
  // CDex Data Consumer.
  s.call("POST", "/cdex/requests", "/cdex/requests", s.cdex_admin, 400, R"({"source":"http://127.0.0.1:9/fhir"})");
  s.call("GET", "/cdex/requests/{id}", "/cdex/requests/no-such-request", s.cdex_admin, 404);
  s.call("GET", "/cdex/requests/{id}", "/cdex/requests/x?wait-ms=soon", s.cdex_admin, 400);

  // CDex attachments.
  const auto submitted = s.call("POST", "/$submit-attachment", "/$submit-attachment", documents, 200,
                                test::read_fixture("cdex-ig/cdex-parameters-example1.json"), "application/fhir+json");
  s.call("POST", "/$submit-attachment", "/$submit-attachment", documents, 400,
         R"({"resourceType":"Parameters","parameter":[]})", "application/fhir+json");
  const std::string location = submitted.header("location");
  const std::string attachment = location.substr(location.rfind('/') + 1);
  BOOST_TEST(!attachment.empty(), submitted.body);
  s.call("GET", "/attachments", "/attachments?member=no-such-member", documents, 200);
  s.call("GET", "/attachments", "/attachments", documents, 400);
  s.call("GET", "/attachments", "/attachments?member=no-such-member", tasks, 403);
  s.call("GET", "/attachments/{id}", "/attachments/" + attachment, documents, 200);
  s.call("GET", "/attachments/{id}", "/attachments/no-such-submission", documents, 404);
  s.call("GET", "/attachments/{id}/parameters", "/attachments/" + attachment + "/parameters", documents, 200);
  s.call("GET", "/attachments/{id}/parameters", "/attachments/no-such-submission/parameters", documents, 404);
  s.call("GET", "/attachments/{id}/content/{n}", "/attachments/" + attachment + "/content/1", documents, 200);
  s.call("GET", "/attachments/{id}/content/{n}", "/attachments/" + attachment + "/content/99", documents, 404);
  s.call("POST", "/attachments/claims", "/attachments/claims", s.attach_op, 200,
         R"({"trackingId":{"system":"http://example.org/tracking","value":"none"},"attachTo":"claim",)"
         R"("claimId":{"system":"http://example.org/claims","value":"c-1"}})");
  s.call("POST", "/attachments/claims", "/attachments/claims", s.attach_op, 400, "{}");
  s.call("POST", "/attachments/outbox", "/attachments/outbox", s.attach_op, 400, R"({"payerUrl":"not a url"})");
  s.call("POST", "/attachments/outbox", "/attachments/outbox", s.bulk_op, 403, "{}");

  // Provider events and the push queue (the example payers ask for no pushes: nothing queued).
  std::string event = test::read_fixture("push/encounter-discharge.json");
  event.replace(event.find("Organization/harbor-payer"), 25, "Organization/acme-payer");
  s.call("POST", "/events", "/events", s.client_jwt("/events"), 200, event);
  s.call("POST", "/events", "/events", s.client_jwt("/events"), 400, R"({"event":"admitted"})");
  s.call("GET", "/events/push", "/events/push", s.attach_op, 200);
  s.call("GET", "/events/push", "/events/push?state=lost", s.attach_op, 400);
  s.call("GET", "/events/push", "/events/push", s.bulk_op, 403);
  s.call("GET", "/events/push/{id}", "/events/push/1", s.attach_op, 404);
  s.call("POST", "/events/push/{id}/retry", "/events/push/1/retry", s.attach_op, 404, "{}");

  // Bulk exports.
  const auto job = s.call("POST", "/bulk-exports", "/bulk-exports", s.bulk_op, 202,
                          R"({"fhirServer":"http://127.0.0.1:9/fhir","group":"g-1","types":["Patient"]})");
  s.call("POST", "/bulk-exports", "/bulk-exports", s.bulk_op, 400, "{}");
  // ATR-01: an attribution-list export without Coverage in its types.
  s.call("POST", "/bulk-exports", "/bulk-exports", s.bulk_op, 400,
         R"({"fhirServer":"http://127.0.0.1:9/fhir","group":"g-1","exportType":"hl7.fhir.us.davinci-atr",)"
         R"("types":["Group","Patient"]})");
  s.call("POST", "/bulk-exports", "/bulk-exports", s.bulk_op, 202,
         R"({"fhirServer":"http://127.0.0.1:9/fhir","group":"g-2","exportType":"hl7.fhir.us.davinci-atr",)"
         R"("types":["Group","Patient","Coverage"]})");
  s.call("GET", "/bulk-exports", "/bulk-exports", s.bulk_op, 200);
  s.call("GET", "/bulk-exports", "/bulk-exports", s.attach_op, 403);
  const std::string job_id = openapi_member(job.body, {"id"});
  s.call("GET", "/bulk-exports/{id}", "/bulk-exports/" + job_id, s.bulk_op, 200);
  s.call("GET", "/bulk-exports/{id}", "/bulk-exports/no-such-job", s.bulk_op, 404);
  s.call("DELETE", "/bulk-exports/{id}", "/bulk-exports/no-such-job", s.bulk_op, 404);

  // SMART launch helper.
  const auto launch =
      s.call("POST", "/smart/launches", "/smart/launches", s.launch_token, 201,
             R"({"iss":"https://ehr.example.org/fhir","appUrl":"https://dtr.example.org/launch","patient":"123"})");
  s.call("POST", "/smart/launches", "/smart/launches", "", 401, "{}");
  s.call("POST", "/smart/launches:resolve", "/smart/launches:resolve", s.launch_token, 200,
         R"({"launch":")" + openapi_member(launch.body, {"launch"}) + "\"}");
  s.call("POST", "/smart/launches:resolve", "/smart/launches:resolve", s.launch_token, 404,
         R"({"launch":"no-such-launch"})");

  // Public documents and probes; the console's files.
  for (const char* path : {"/.well-known/jwks.json", "/health/live", "/health/ready", "/openapi.json", "/metadata",
                           "/fhir/metadata", "/metrics"}) {
    s.call("GET", path, path, "", 200);
    s.call_oversized("GET", path, path);
  }
  s.call("GET", "/console", "/console", "", 301);
  s.call_oversized("GET", "/console", "/console");
  s.call("GET", "/console/{file}", "/console/index.html", "", 200);
  s.call("GET", "/console/{file}", "/console/no-such-file.js", "", 404);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_openapi)

BOOST_FIXTURE_TEST_CASE(every_route_of_the_table_is_in_docs_openapi_json_and_it_is_served, test::OpenApiServer) {
  const std::string document = test::read_file(test::source_dir() / "docs/openapi.json");
  const auto served = test::http_get(server->base_url() + "/openapi.json");
  BOOST_TEST(served.status == 200);
  BOOST_TEST(served.header("content-type") == "application/json");
  BOOST_TEST((served.body == document), "GET /openapi.json is not docs/openapi.json as built");

  simdjson::dom::parser parser;
  simdjson::dom::object paths;
  BOOST_REQUIRE(parser.parse(document)["paths"].get(paths) == simdjson::SUCCESS);
  std::set<std::pair<std::string, std::string>> documented;
  for (auto [path, item] : paths) {
    simdjson::dom::object operations;
    BOOST_REQUIRE(item.get(operations) == simdjson::SUCCESS);
    for (auto [method, operation] : operations)
      if (method != "parameters" && method != "summary" && method != "description")
        documented.emplace(std::string(method), std::string(path));
  }
  const auto table = routes();
  BOOST_TEST(table.size() >= 40u);
  for (const auto& [method, pattern] : table)
    BOOST_TEST(documented.contains({openapi_lower(method), pattern}),
               method << " " << pattern << " is in the route table but not in docs/openapi.json");
  for (const auto& [method, path] : documented) {
    std::string upper = method;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    BOOST_TEST(table.contains({upper, path}), upper << " " << path << " is in docs/openapi.json but not served");
  }
}

BOOST_FIXTURE_TEST_CASE(every_route_answers_as_docs_openapi_json_describes, test::OpenApiServer) {
  call_every_route(*this);
  // Every route was called, each with at least one error answer.
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> seen;  // successes, errors
  for (const auto& e : exchanges)
    (e.status < 400 ? seen[{e.method, e.pattern}].first : seen[{e.method, e.pattern}].second)++;
  for (const auto& route : routes()) {
    BOOST_TEST(seen.contains(route), route.first << " " << route.second << " was not called");
    BOOST_TEST(seen[route].second > 0, route.first << " " << route.second << " gave no error answer");
  }
  const auto file = dir.path() / "exchanges.json";
  std::ofstream(file) << exchanges_json();
  // CRDEX_OPENAPI_EXCHANGES=FILE keeps a copy of the answers (to write or review the document).
  if (const char* keep = std::getenv("CRDEX_OPENAPI_EXCHANGES")) std::ofstream(keep) << exchanges_json();
  int code = -1;
  const std::string report =
      test::openapi_run("node " + (test::source_dir() / "tests/openapi/check-answers.mjs").string() + " " +
                            (test::source_dir() / "docs/openapi.json").string() + " " + file.string() + " 2>&1",
                        code);
  BOOST_TEST(code == 0, report);
  BOOST_TEST(report.find("answers valid") != std::string::npos, report);
  BOOST_TEST_MESSAGE(report);
}

BOOST_AUTO_TEST_SUITE_END()
