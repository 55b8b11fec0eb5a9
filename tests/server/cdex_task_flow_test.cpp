// CDex task-based requests end to end (CDX-04..08): a crdex-server as Data
// Consumer asks a second crdex-server, the Data Source, whose EHR data lives
// in the real test FHIR server (tests/fhir-server, Medplum). The consumer
// polls on a cadence shortened to milliseconds; the tests wait on its state
// (GET /cdex/requests/{id}?wait-ms=N answers as soon as the request is done).
#include <signal.h>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

#include "support/fhir_server_process.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/destinations_file.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

constexpr auto kAdminToken = "admin-token-for-the-cdex-tests";
constexpr auto kClientToken = "client-token-the-payer-uses-at-the-source";
constexpr auto kEhrToken = "ehr-token-of-the-data-source";
constexpr auto kMember = R"({"identifier":{"system":"http://example.org/cdex/payer/member-ids","value":"Member123"}})";
constexpr auto kClaim = R"({"identifier":{"system":"http://example.org/cdex/payer/claim-ids","value":"Claim123"}})";

// The EHR's data: the member's record and another patient's.
constexpr auto kEhrData = R"({"resourceType":"Bundle","type":"collection","entry":[
  {"resource":{"resourceType":"Patient","id":"pat1","identifier":[{"system":"http://example.org/cdex/payer/member-ids","value":"Member123"}],"name":[{"family":"Smith"}]}},
  {"resource":{"resourceType":"Patient","id":"pat2","name":[{"family":"Jones"}]}},
  {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/pat1"},"code":{"text":"Type 2 diabetes"},
    "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}},
  {"resource":{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/pat1"},"code":{"text":"Hypertension"},
    "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}},
  {"resource":{"resourceType":"Condition","id":"c3","subject":{"reference":"Patient/pat2"},"code":{"text":"Asthma"},
    "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}}]})";

std::string write_file(const test::TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.path() / name;
  std::ofstream(path) << text << "\n";
  return path.string();
}

std::vector<std::string> bearer(const std::string& token) { return {"Authorization: Bearer " + token}; }

struct CdexServers {
  test::FhirServerProcess ehr;
  test::TempDir files;
  test::TempDir source_data;
  test::TempDir consumer_data;
  std::unique_ptr<test::ServerProcess> source;
  std::unique_ptr<test::ServerProcess> consumer;

  CdexServers() {
    ehr.seed(kEhrData);
    write_file(files, "admin.token", kAdminToken);
    write_file(files, "client.token", kClientToken);
    write_file(files, "ehr.token", kEhrToken);
    write_file(files, "codes.json",
               R"({"http://loinc.org|11450-4":"Condition?patient={patient}&clinical-status=active"})");
  }

  void start_source(const std::string& review = "none") {
    source.reset();
    source = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{"--cdex-ehr-fhir", ehr.fhir_url(),
                                 "--cdex-ehr-token-file", (files.path() / "ehr.token").string(), "--cdex-code-map",
                                 (files.path() / "codes.json").string(), "--cdex-review", review,
                                 "--cdex-admin-token-file", (files.path() / "admin.token").string(),
                                 "--cdex-client-token-file", (files.path() / "client.token").string()},
        std::string{}, true, source_data.path().string());
  }

  // The consumer sends Tasks only to configured destinations: the source as
  // it listens now (a restarted source is on a new port: start the consumer again).
  void start_consumer() {
    consumer.reset();
    auto args = test::destinations_args(files.path(), {{"source", source_fhir()}});
    args.insert(args.end(), {"--cdex-admin-token-file", (files.path() / "admin.token").string(),
                                 "--cdex-consumer-token-file", (files.path() / "client.token").string(),
                                 "--cdex-poll-first-ms", "20", "--cdex-poll-early-ms", "20",
                                 "--cdex-poll-early-window-ms", "600000"});
    consumer = std::make_unique<test::ServerProcess>(args, std::string{}, true, consumer_data.path().string());
  }

  std::string source_fhir() const { return source->base_url() + "/fhir"; }

  // POST /cdex/requests at the consumer with `what` ("query": ..., or "dataCode": ...).
  test::HttpResult ask(const std::string& what, const std::string& extra = {}, std::string to = {}) const {
    if (to.empty()) to = source_fhir();
    const std::string body = R"({"source":")" + to + R"(",)" + what + R"(,"for":)" + kMember +
                             R"(,"requester":{"identifier":{"system":"http://example.org/cdex/payer/payer-ids","value":"Payer123"}})"
                             R"(,"owner":{"identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9941339108"}})" +
                             extra + "}";
    return test::http_request("POST", consumer->base_url() + "/cdex/requests", body, "application/json",
                              bearer(kAdminToken));
  }

  // The request once it is done (the test's safety net is the 30 s wait).
  test::HttpResult done(const std::string& id) const {
    return test::http_request("GET", consumer->base_url() + "/cdex/requests/" + id + "?wait-ms=30000", {},
                              "application/json", bearer(kAdminToken));
  }

  test::HttpResult review(const std::string& id, const std::string& action, const std::string& body) const {
    return test::http_request("POST", source->base_url() + "/cdex/review/" + id + "/" + action, body,
                              "application/json", bearer(kAdminToken));
  }

  test::HttpResult post_task(const std::string& task, const std::string& type = "application/fhir+json") const {
    return test::http_request("POST", source_fhir() + "/Task", task, type, bearer(kClientToken));
  }
};

std::string text(simdjson::dom::element e) { return std::string(std::string_view(e)); }

// FHIR R4 validity of `resources` (a JSON array) as FHIR.js (tests/fhir-validator) judges it.
std::string validation_report(const std::string& resources) {
  test::TempDir dir;
  const auto file = dir.path() / "tasks.json";
  std::ofstream(file) << resources;
  const auto command = "node '" + (test::source_dir() / "tests/fhir-validator/validate.js").string() + "' '" +
                       file.string() + "' 2>&1";
  std::string output;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    pclose(pipe);
  }
  return output;
}

// The condition ids in a completed request's first output (a searchset Bundle).
std::vector<std::string> output_condition_ids(const test::Json& request) {
  std::vector<std::string> ids;
  for (auto entry : request.root()["outputs"].at(0)["entry"].get_array()) ids.push_back(text(entry["resource"]["id"]));
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cdex_task_flow, CdexServers)

BOOST_AUTO_TEST_CASE(CDX_04_source_refuses_invalid_tasks_naming_the_element) {
  start_source();
  const auto valid = test::read_fixture("cdex-ig/cdex-task-example1.json");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = test::minified(test::Json(valid).root());
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const std::vector<std::tuple<std::string, long, std::string>> cases{
      {"{not json", 400, ""},
      {with(R"("status":"requested")", R"("status":"received")"), 422, "Task.status"},
      {with(R"("status":"requested")", R"("status":"accepted")"), 422, "Task.status"},
      {with(R"("intent":"order")", R"("intent":"proposal")"), 422, "Task.intent"},
      {with(R"("code":"data-query")", R"("code":"data-code")"), 422, "Task.input[0]"},
      {with(R"("authoredOn")", R"("authored")"), 422, "Task.authoredOn"}};
  for (const auto& [body, status, expression] : cases) {
    const auto answer = post_task(body);
    BOOST_TEST(answer.status == status, answer.body);
    BOOST_TEST(answer.header("content-type").find("application/fhir+json") == 0u);
    test::Json outcome(answer.body);
    BOOST_TEST(text(outcome.root()["resourceType"]) == "OperationOutcome");
    if (!expression.empty()) BOOST_TEST(text(outcome.root()["issue"].at(0)["expression"].at(0)) == expression);
  }
  BOOST_TEST(post_task(valid, "text/plain").status == 415);
  BOOST_TEST(test::http_request("POST", source_fhir() + "/Task", valid, "application/fhir+json").status == 401);
  BOOST_TEST(test::http_request("GET", source_fhir() + "/Task/nope", {}, "application/json", bearer(kClientToken)).status ==
             404);
  // Nothing invalid was stored.
  const auto all = test::http_request("GET", source_fhir() + "/Task", {}, "application/json", bearer(kClientToken));
  BOOST_TEST(test::Json(all.body).root()["total"].get_int64().value() == 0);
  // The guide's example is taken: 201, a Task of ours, accepted.
  const auto created = post_task(valid);
  BOOST_TEST_REQUIRE(created.status == 201, created.body);
  test::Json task(created.body);
  BOOST_TEST(created.header("location") == "Task/" + text(task.root()["id"]));
  BOOST_TEST(text(task.root()["status"]) == "accepted");
}

BOOST_AUTO_TEST_CASE(CDX_06_CDX_07_query_request_completes_and_the_consumer_gets_the_output) {
  start_source();
  start_consumer();
  const auto asked = ask(R"("query":"Condition?patient=pat1&clinical-status=active")",
                         std::string(R"(,"reasonReference":)") + kClaim + R"(,"workQueue":"claims-processing")");
  BOOST_TEST_REQUIRE(asked.status == 201, asked.body);
  const auto id = text(test::Json(asked.body).root()["id"]);
  const auto result = done(id);
  BOOST_TEST_REQUIRE(result.status == 200, result.body);
  test::Json request(result.body);
  BOOST_TEST_REQUIRE(text(request.root()["status"]) == "completed", result.body);
  BOOST_TEST(request.root()["done"].get_bool().value());
  BOOST_TEST(request.root()["polls"].get_int64().value() >= 1);
  BOOST_TEST((output_condition_ids(request) == std::vector<std::string>{"c1", "c2"}));

  // The source's Task: completed, the claim as its reason (CDX-07), the data as output.
  const auto task_id = text(request.root()["taskId"]);
  const auto shown = test::http_request("GET", source_fhir() + "/Task/" + task_id, {}, "application/json", bearer(kClientToken));
  BOOST_TEST_REQUIRE(shown.status == 200);
  test::Json task(shown.body);
  BOOST_TEST(text(task.root()["status"]) == "completed");
  BOOST_TEST(test::minified(task.root()["reasonReference"]) == test::minified(test::Json(kClaim).root()));
  BOOST_TEST(text(task.root()["output"].at(0)["valueReference"]["reference"]) == "#result");
  BOOST_TEST(text(task.root()["meta"]["tag"].at(0)["code"]) == "claims-processing");
  // The Tasks crdex emitted, as the consumer built it (status requested, from
  // its first answer) and as the source completed it, are valid FHIR R4.
  const auto report = validation_report("[" + test::minified(test::Json(asked.body).root()["task"]) + "," + shown.body + "]");
  test::Json verdict(report);
  BOOST_TEST(int64_t(verdict.root()["count"]) == 2);
  BOOST_TEST(bool(verdict.root()["valid"]), report);
  const auto completed = test::http_request("GET", source_fhir() + "/Task?status=completed", {}, "application/json",
                                            bearer(kClientToken));
  BOOST_TEST(test::Json(completed.body).root()["total"].get_int64().value() == 1);
  // The EHR was asked with the source's own token, never the payer's.
  test::Json log(ehr.request_log());
  for (auto entry : log.root().get_array())
    BOOST_TEST(text(entry["authorization"]) == std::string("Bearer ") + kEhrToken);
}

BOOST_AUTO_TEST_CASE(CDX_06_code_request_finds_the_member_and_runs_the_mapped_search) {
  start_source();
  start_consumer();
  const auto asked = ask(R"("dataCode":{"system":"http://loinc.org","code":"11450-4","text":"Problem list"})");
  BOOST_TEST_REQUIRE(asked.status == 201, asked.body);
  test::Json request(done(text(test::Json(asked.body).root()["id"])).body);
  BOOST_TEST_REQUIRE(text(request.root()["status"]) == "completed");
  BOOST_TEST((output_condition_ids(request) == std::vector<std::string>{"c1", "c2"}));
  const auto log = ehr.request_log();
  const bool member_looked_up =
      log.find("Patient?identifier=http://example.org/cdex/payer/member-ids%7CMember123") != std::string::npos ||
      log.find("Patient?identifier=http://example.org/cdex/payer/member-ids|Member123") != std::string::npos;
  BOOST_TEST(member_looked_up, log);

  // A code without a mapping, and free text, are rejected at once with the reason.
  for (const auto* what : {R"("dataCode":{"system":"http://loinc.org","code":"34117-2"})",
                           R"("dataCode":{"text":"everything about the knee"})"}) {
    const auto refused = ask(what);
    BOOST_TEST_REQUIRE(refused.status == 201, refused.body);
    test::Json row(refused.body);
    BOOST_TEST(text(row.root()["status"]) == "rejected");
    BOOST_TEST(row.root()["done"].get_bool().value());
    BOOST_TEST(!text(row.root()["statusReason"]).empty());
  }
}

BOOST_AUTO_TEST_CASE(CDX_06_a_failing_ehr_fails_the_task_with_its_reason) {
  ehr.set_fault(R"({"status":500,"match":"Condition?"})");
  start_source();
  start_consumer();
  const auto asked = ask(R"("query":"Condition?patient=pat1")");
  BOOST_TEST_REQUIRE(asked.status == 201, asked.body);
  test::Json request(done(text(test::Json(asked.body).root()["id"])).body);
  BOOST_TEST(text(request.root()["status"]) == "failed");
  BOOST_TEST(text(request.root()["statusReason"]).find("500") != std::string::npos);
  BOOST_TEST(request.root()["outputs"].get_array().size() == 0u);
}

BOOST_AUTO_TEST_CASE(CDX_05_human_review_holds_the_task_until_approved) {
  start_source("all");
  start_consumer();
  const auto asked = ask(R"("query":"Condition?patient=pat1")");
  BOOST_TEST_REQUIRE(asked.status == 201, asked.body);
  test::Json row(asked.body);
  BOOST_TEST(text(row.root()["status"]) == "on-hold");
  BOOST_TEST(text(row.root()["task"]["businessStatus"]["text"]) == "waiting on internal review");
  const auto task_id = text(row.root()["taskId"]);

  const auto waiting = test::http_request("GET", source->base_url() + "/cdex/review", {}, "application/json", bearer(kAdminToken));
  BOOST_TEST_REQUIRE(waiting.status == 200);
  BOOST_TEST(text(test::Json(waiting.body).root()["entry"].at(0)["resource"]["id"]) == task_id);
  BOOST_TEST(ehr.request_log() == "[]");  // nothing read before the approval

  const auto approved = review(task_id, "approve", R"({"note":"released by HIM"})");
  BOOST_TEST_REQUIRE(approved.status == 200, approved.body);
  test::Json request(done(text(row.root()["id"])).body);
  BOOST_TEST(text(request.root()["status"]) == "completed");
  BOOST_TEST((output_condition_ids(request) == std::vector<std::string>{"c1", "c2"}));
  BOOST_TEST(text(request.root()["task"]["businessStatus"]["text"]) == "released by HIM");
  BOOST_TEST(review(task_id, "approve", "").status == 409);  // no longer waiting
}

BOOST_AUTO_TEST_CASE(CDX_06_human_review_rejects_with_a_reason) {
  start_source("all");
  start_consumer();
  const auto asked = ask(R"("query":"Condition?patient=pat1")");
  BOOST_TEST_REQUIRE(asked.status == 201, asked.body);
  test::Json row(asked.body);
  const auto task_id = text(row.root()["taskId"]);
  BOOST_TEST(review(task_id, "reject", "{}").status == 400);  // a reason is required
  BOOST_TEST(review("no-such-task", "reject", R"({"reason":"x"})").status == 404);
  BOOST_TEST(test::http_request("POST", source->base_url() + "/cdex/review/" + task_id + "/reject", R"({"reason":"x"})",
                                "application/json", bearer("wrong-token-wrong-token"))
                 .status == 401);
  const auto rejected = review(task_id, "reject", R"({"reason":"no authorization on file for this member"})");
  BOOST_TEST_REQUIRE(rejected.status == 200, rejected.body);
  test::Json request(done(text(row.root()["id"])).body);
  BOOST_TEST(text(request.root()["status"]) == "rejected");
  BOOST_TEST(text(request.root()["statusReason"]) == "no authorization on file for this member");
  BOOST_TEST(ehr.request_log() == "[]");
  BOOST_TEST(review(task_id, "approve", "").status == 409);
}

// Durability, consumer side: it stops (SIGTERM) while the source holds the
// Task; the approval made meanwhile is seen by the restarted consumer, which
// resumes polling from its store.
BOOST_AUTO_TEST_CASE(CDX_08_a_restarted_consumer_resumes_polling) {
  start_source("all");
  start_consumer();
  const auto asked = ask(R"("query":"Condition?patient=pat1")");
  BOOST_TEST_REQUIRE(asked.status == 201, asked.body);
  test::Json row(asked.body);
  const auto id = text(row.root()["id"]);
  const auto exit = consumer->stop(SIGTERM);
  BOOST_TEST((exit.exited && exit.code == 0));
  BOOST_TEST_REQUIRE(review(text(row.root()["taskId"]), "approve", "").status == 200);
  start_consumer();  // same --data
  test::Json request(done(id).body);
  BOOST_TEST(text(request.root()["status"]) == "completed");
  BOOST_TEST((output_condition_ids(request) == std::vector<std::string>{"c1", "c2"}));
}

// Durability, source side: a Task held for review survives SIGTERM and a
// restart, and is fulfilled once approved. (The restarted source listens on
// a new port, so the consumer is told to follow the Task there.)
BOOST_AUTO_TEST_CASE(CDX_05_a_held_task_survives_a_source_restart) {
  start_source("all");
  start_consumer();
  const auto created = post_task(test::read_fixture("cdex-ig/cdex-task-example1.json"));
  BOOST_TEST_REQUIRE(created.status == 201, created.body);
  const auto task_id = text(test::Json(created.body).root()["id"]);
  const auto exit = source->stop(SIGTERM);
  BOOST_TEST((exit.exited && exit.code == 0));
  start_source("all");
  start_consumer();  // its destination: the source's new port
  const auto waiting = test::http_request("GET", source->base_url() + "/cdex/review", {}, "application/json", bearer(kAdminToken));
  BOOST_TEST(text(test::Json(waiting.body).root()["entry"].at(0)["resource"]["id"]) == task_id);
  BOOST_TEST_REQUIRE(review(task_id, "approve", "").status == 200);
  const auto followed = test::http_request("POST", consumer->base_url() + "/cdex/requests",
                                           R"({"source":")" + source_fhir() + R"(","taskId":")" + task_id + R"("})",
                                           "application/json", bearer(kAdminToken));
  BOOST_TEST_REQUIRE(followed.status == 201, followed.body);
  test::Json request(done(text(test::Json(followed.body).root()["id"])).body);
  // The guide's example asks for patient cdex-example-patient, unknown to this EHR: an empty searchset.
  BOOST_TEST(text(request.root()["status"]) == "completed", request.root());
  BOOST_TEST(text(request.root()["outputs"].at(0)["resourceType"]) == "Bundle");
}

// SIGTERM while the source may be fulfilling (the EHR answers slowly): the
// work in hand finishes or stays queued, and after the restart the Task is
// completed either way.
BOOST_AUTO_TEST_CASE(CDX_06_source_sigterm_during_fulfilment_loses_no_task) {
  ehr.set_fault(R"({"delayMs":300,"match":"Condition?"})");
  start_source();
  start_consumer();
  const auto created = post_task(test::read_fixture("cdex-ig/cdex-task-example1.json"));
  BOOST_TEST_REQUIRE(created.status == 201, created.body);
  const auto task_id = text(test::Json(created.body).root()["id"]);
  const auto exit = source->stop(SIGTERM);
  BOOST_TEST((exit.exited && exit.code == 0));
  start_source();
  start_consumer();  // its destination: the source's new port
  const auto followed = test::http_request("POST", consumer->base_url() + "/cdex/requests",
                                           R"({"source":")" + source_fhir() + R"(","taskId":")" + task_id + R"("})",
                                           "application/json", bearer(kAdminToken));
  BOOST_TEST_REQUIRE(followed.status == 201, followed.body);
  test::Json request(done(text(test::Json(followed.body).root()["id"])).body);
  BOOST_TEST(text(request.root()["status"]) == "completed");
  BOOST_TEST(ehr.request_log().find("Condition?patient=cdex-example-patient") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CDX_04_consumer_endpoints_check_token_and_body) {
  start_source();
  start_consumer();
  BOOST_TEST(test::http_post(consumer->base_url() + "/cdex/requests", "{}").status == 401);
  const auto no_owner = test::http_request("POST", consumer->base_url() + "/cdex/requests",
                                           R"({"source":")" + source_fhir() + R"(","query":"Condition","for":)" + kMember +
                                               R"(,"requester":{"identifier":{"value":"P"}}})",
                                           "application/json", bearer(kAdminToken));
  BOOST_TEST(no_owner.status == 400);
  BOOST_TEST(text(test::Json(no_owner.body).root()["issue"].at(0)["expression"].at(0)) == "owner");
  const auto two = ask(R"("query":"Condition","questionnaire":"http://example.org/q")");
  BOOST_TEST(two.status == 400);
  // The source is a configured destination, by name or by a URL under its base; nothing else is called.
  const auto elsewhere = ask(R"("query":"Condition")", {}, "http://127.0.0.1:1/fhir");
  BOOST_TEST(elsewhere.status == 400, elsewhere.body);
  BOOST_TEST(elsewhere.body.find("is not under a configured destination") != std::string::npos, elsewhere.body);
  const auto unknown_name = ask(R"("query":"Condition")", {}, "payer-b");
  BOOST_TEST(unknown_name.status == 400, unknown_name.body);
  BOOST_TEST(unknown_name.body.find("configured: source") != std::string::npos, unknown_name.body);
  const auto by_name = ask(R"("query":"Condition")", {}, "source");
  BOOST_TEST(by_name.status == 201, by_name.body);
  BOOST_TEST(text(test::Json(by_name.body).root()["source"]) == source_fhir());
  const auto unknown = test::http_request("GET", consumer->base_url() + "/cdex/requests/nope", {}, "application/json",
                                          bearer(kAdminToken));
  BOOST_TEST(unknown.status == 404);
  // A consumer that is not a data source has no /fhir/Task.
  BOOST_TEST(test::http_request("POST", consumer->base_url() + "/fhir/Task", "{}", "application/fhir+json").status == 404);
  // Without --cdex-admin-token-file the /cdex endpoints are off.
  test::ServerProcess plain;
  BOOST_TEST(test::http_request("GET", plain.base_url() + "/cdex/requests/x", {}, "application/json",
                                bearer(kAdminToken)).status == 403);
}

BOOST_AUTO_TEST_SUITE_END()
