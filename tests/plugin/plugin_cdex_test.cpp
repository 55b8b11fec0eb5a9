// CDex through the plugin (issue 9): crdex_engine_cdex_create_task builds the
// cdex-task-data-request Task and POSTs it to a real FHIR server
// (tests/fhir-server) through the host's transport or the built-in client;
// crdex_engine_cdex_fulfil_task runs an incoming Task's query against the
// EHR's FHIR server and answers it completed with the result as output. The
// example hosts (C and Python) run the same against the same server.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "plugin/plugin_fixture.hpp"
#include "support/fhir_server_process.hpp"
#include "support/guide_ehr_data.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"

using namespace crdex::test;

namespace {

constexpr std::string_view kPayerToken = "cdex-payer-token";

// The host's side: its own HTTP client, and a record of what the library asked for.
struct RecordingTransport {
  struct Call {
    std::string method, url, token, body;
  };
  std::vector<Call> calls;

  static crdex_status perform(void* user_data, const crdex_fhir_request* request, crdex_fhir_reply_fn reply,
                              void* reply_context) {
    auto* self = static_cast<RecordingTransport*>(user_data);
    Call call{request->method, std::string(request->url, request->url_len),
              request->access_token ? std::string(request->access_token, request->access_token_len) : std::string(),
              request->body ? std::string(request->body, request->body_len) : std::string()};
    self->calls.push_back(call);
    const auto answer = http_request(call.method, call.url, call.body, "application/fhir+json",
                                     {"Accept: application/fhir+json", "Authorization: Bearer " + call.token});
    if (answer.status == 0) return CRDEX_E_INTERNAL;
    reply(reply_context, static_cast<int>(answer.status), answer.body.data(), answer.body.size());
    return CRDEX_OK;
  }

  crdex_host host() {
    crdex_host h{};
    h.struct_size = sizeof(crdex_host);
    h.struct_version = CRDEX_HOST_VERSION;
    h.user_data = this;
    h.fhir_transport = &RecordingTransport::perform;
    return h;
  }
};

// A data request as a payer's Data Consumer describes it; `extra` is spliced
// in as further members (post_to, access_token...).
std::string query_request(const std::string& query, const std::string& extra = {}) {
  return R"({"kind":"query","query":")" + query +
         R"(","for":{"reference":"Patient/123"},)"
         R"("requester":{"identifier":{"system":"http://example.org/payer-ids","value":"payer-1"}},)"
         R"("owner":{"identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9941339108"}},)"
         R"("reason":"Claim review")" +
         extra + "}";
}

const std::string kConditions = R"({"resourceType":"Bundle","type":"collection","entry":[
  {"resource":{"resourceType":"Condition","id":"cdex-c1","subject":{"reference":"Patient/123"},
    "code":{"text":"Type 2 diabetes mellitus"}}},
  {"resource":{"resourceType":"Condition","id":"cdex-c2","subject":{"reference":"Patient/123"},
    "code":{"text":"Essential hypertension"}}}]})";

// A Task built by the plugin (not posted), given an id as a server would.
std::string built_task(const PluginApi& crdex, const crdex_engine* engine, const std::string& request) {
  crdex_result* result = nullptr;
  BOOST_TEST_REQUIRE(crdex.engine_cdex_create_task(engine, request.data(), request.size(), &result) == CRDEX_OK);
  std::string task = crdex.result_json(result, nullptr);
  crdex.result_free(result);
  return task;
}
std::string with_id(std::string task, const std::string& id) {
  const std::string head = R"({"resourceType":"Task")";
  BOOST_TEST_REQUIRE(task.starts_with(head), task);
  return task.insert(head.size(), R"(,"id":")" + id + "\"");
}

struct CdexFixture : PluginFixture {
  FhirServerProcess fhir;

  ResultPtr create(const crdex_engine* engine, const std::string& request) const {
    crdex_result* result = nullptr;
    crdex.engine_cdex_create_task(engine, request.data(), request.size(), &result);
    BOOST_TEST_REQUIRE(result != nullptr);
    return own(result);
  }
  ResultPtr fulfil(const crdex_engine* engine, const std::string& request) const {
    crdex_result* result = nullptr;
    crdex.engine_cdex_fulfil_task(engine, request.data(), request.size(), &result);
    BOOST_TEST_REQUIRE(result != nullptr);
    return own(result);
  }
  std::string post_to() const { return R"(,"post_to":")" + fhir.fhir_url() + R"(","access_token":")" + std::string(kPayerToken) + "\""; }

  // The Task as the FHIR server stores it.
  std::string stored_task(std::string_view id) const {
    const auto answer = http_get(fhir.fhir_url() + "/Task/" + std::string(id));
    BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
    return answer.body;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(plugin_cdex, CdexFixture)

BOOST_AUTO_TEST_CASE(CDX_plugin_creates_a_data_request_task_on_the_fhir_server) {
  BOOST_TEST(crdex.feature_available(CRDEX_FEATURE_CDEX) == 1);
  crdex_engine* engine = example_engine();
  const auto result = create(engine, query_request("Condition?patient=123", post_to()));
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  BOOST_TEST(crdex.result_http_status(result.get()) == 200);
  Json created(json(result));
  const std::string id(std::string_view(created.root()["id"]));
  BOOST_TEST_REQUIRE(!id.empty());

  Json stored(stored_task(id));
  BOOST_TEST(std::string_view(stored.root()["status"]) == "requested");
  BOOST_TEST(std::string_view(stored.root()["intent"]) == "order");
  BOOST_TEST(std::string_view(stored.root()["code"]["coding"].at(0)["code"]) == "data-request-query");
  BOOST_TEST(std::string_view(stored.root()["input"].at(0)["valueString"]) == "Condition?patient=123");
  BOOST_TEST(std::string_view(stored.root()["meta"]["profile"].at(0)).ends_with("cdex-task-data-request"));
  BOOST_TEST(std::string_view(stored.root()["for"]["reference"]) == "Patient/123");

  // One POST, with the request's token, by the built-in client.
  Json log(fhir.request_log());
  simdjson::dom::array requests = log.root().get_array();
  BOOST_TEST_REQUIRE(requests.size() >= 1u);
  BOOST_TEST(std::string_view(requests.at(0)["method"]) == "POST");
  BOOST_TEST(std::string_view(requests.at(0)["authorization"]) == "Bearer " + std::string(kPayerToken));
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CDX_plugin_posts_the_task_through_the_host_transport) {
  RecordingTransport transport;
  const crdex_host host = transport.host();
  crdex_engine* engine = this->engine(rules_dir_config(example_rules_dir()), &host);
  const auto result = create(engine, query_request("Condition?patient=123", post_to()));
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  Json created(json(result));
  const std::string id(std::string_view(created.root()["id"]));
  BOOST_TEST(std::string_view(Json(stored_task(id)).root()["status"]) == "requested");

  BOOST_TEST_REQUIRE(transport.calls.size() == 1u);
  BOOST_TEST(transport.calls[0].method == "POST");
  BOOST_TEST(transport.calls[0].url == fhir.fhir_url() + "/Task");
  BOOST_TEST(transport.calls[0].token == kPayerToken);
  BOOST_TEST(std::string_view(Json(transport.calls[0].body).root()["resourceType"]) == "Task");
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CDX_plugin_builds_a_task_without_posting_it) {
  crdex_engine* engine = example_engine();
  const auto result = create(engine, R"({"kind":"code","code":{"system":"http://loinc.org","code":"11506-3"},)"
                                     R"("for":{"identifier":{"system":"http://example.org/members","value":"m-1"}},)"
                                     R"("requester":{"reference":"Organization/payer"},"owner":{"reference":"Organization/clinic"}})");
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  Json task(json(result));
  BOOST_TEST(std::string_view(task.root()["code"]["coding"].at(0)["code"]) == "data-request-code");
  BOOST_TEST(std::string_view(task.root()["input"].at(0)["valueCodeableConcept"]["coding"].at(0)["code"]) == "11506-3");
  BOOST_TEST(task.root()["id"].error() != simdjson::SUCCESS);
  BOOST_TEST(Json(fhir.request_log()).root().get_array().size() == 0u);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CDX_plugin_fulfils_a_task_from_the_ehr_fhir_server) {
  fhir.seed(kConditions);
  crdex_engine* engine = example_engine();
  // The Task as the payer posted it: read back from the server, with its id.
  const auto created = create(engine, query_request("Condition?patient=123", post_to()));
  BOOST_TEST_REQUIRE(crdex.result_status(created.get()) == CRDEX_OK, crdex.result_message(created.get()));
  const std::string task = json(created);

  const auto result = fulfil(engine, R"({"task":)" + task + R"(,"fhir_server":")" + fhir.fhir_url() +
                                         R"(","access_token":"ehr-token"})");
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  Json done(json(result));
  BOOST_TEST(std::string_view(done.root()["status"]) == "completed", json(result));
  BOOST_TEST(std::string_view(done.root()["id"]) == std::string_view(Json(task).root()["id"]));
  BOOST_TEST(std::string_view(done.root()["output"].at(0)["valueReference"]["reference"]) == "#result");
  simdjson::dom::element bundle = done.root()["contained"].at(0);
  BOOST_TEST(std::string_view(bundle["id"]) == "result");
  BOOST_TEST(std::string_view(bundle["type"]) == "searchset");
  BOOST_TEST(bundle["entry"].get_array().size() == 2u);
  BOOST_TEST(std::string_view(bundle["entry"].at(0)["resource"]["resourceType"]) == "Condition");

  // The search went to the EHR with the EHR's token, not the payer's.
  Json log(fhir.request_log());
  simdjson::dom::element last = log.root().get_array().at(log.root().get_array().size() - 1);
  BOOST_TEST(std::string_view(last["method"]) == "GET");
  BOOST_TEST(std::string_view(last["authorization"]) == "Bearer ehr-token");
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CDX_plugin_fulfilment_the_ehr_cannot_answer_is_failed) {
  crdex_engine* engine = example_engine();
  const std::string task = with_id(built_task(crdex, engine, query_request("Condition?patient=123")), "t-1");
  fhir.set_fault(R"({"status":500,"match":"Condition"})");
  const auto result = fulfil(engine, R"({"task":)" + task + R"(,"fhir_server":")" + fhir.fhir_url() + R"("})");
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  Json done(json(result));
  BOOST_TEST(std::string_view(done.root()["status"]) == "failed", json(result));
  BOOST_TEST(done.root()["output"].error() != simdjson::SUCCESS);
  BOOST_TEST(std::string_view(done.root()["statusReason"]["text"]).find("Condition?patient=123") != std::string_view::npos);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CDX_plugin_reports_a_server_refusal_and_an_unreachable_server) {
  crdex_engine* engine = example_engine();
  fhir.set_fault(R"({"status":500,"match":"Task"})");
  const auto refused = create(engine, query_request("Condition?patient=123", post_to()));
  BOOST_TEST(crdex.result_status(refused.get()) == CRDEX_E_INTERNAL);
  BOOST_TEST(crdex.result_http_status(refused.get()) == 500);
  BOOST_TEST(std::string(crdex.result_message(refused.get())).find("refused the Task with HTTP 500") != std::string::npos,
             crdex.result_message(refused.get()));
  BOOST_TEST(outcome(refused).find("OperationOutcome") != std::string::npos);

  const std::string dead = "http://127.0.0.1:" + std::to_string(dead_local_port()) + "/fhir";
  const auto unreachable = create(engine, query_request("Condition?patient=123", R"(,"post_to":")" + dead + "\""));
  BOOST_TEST(crdex.result_status(unreachable.get()) == CRDEX_E_INTERNAL);
  BOOST_TEST(crdex.result_http_status(unreachable.get()) == 502);
  BOOST_TEST(std::string(crdex.result_message(unreachable.get())).find("could not be posted") != std::string::npos);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_SUITE_END()

// No FHIR server needed: malformed requests are refused before any traffic.
BOOST_FIXTURE_TEST_CASE(CDX_plugin_refuses_bad_cdex_requests, PluginFixture) {
  crdex_engine* engine = example_engine();
  struct Case {
    bool fulfil;
    std::string input;
    crdex_status status;
    std::string message_part;
  };
  const std::string task_ok = R"({"resourceType":"Task","status":"requested"})";
  const std::vector<Case> cases = {
      {false, "{", CRDEX_E_BAD_JSON, "not a JSON object"},
      {false, query_request("Condition?patient=1").substr(0, 40) + "}", CRDEX_E_BAD_JSON, "not a JSON object"},
      {false, R"({"kind":"query","query":"Condition?patient=1"})", CRDEX_E_BAD_REQUEST, "\"for\" is missing"},
      {false, R"({"kind":"letter"})", CRDEX_E_BAD_REQUEST, "\"kind\" must be"},
      {false, query_request("Condition?patient=1", R"(,"postTo":"x")"), CRDEX_E_BAD_REQUEST, "\"postTo\" is not a known member"},
      {false, query_request("Condition?patient=1", R"(,"post_to":"http://example.org/fhir")"), CRDEX_E_BAD_REQUEST, "http"},
      {true, "[]", CRDEX_E_BAD_JSON, "not a JSON object"},
      {true, R"({"fhir_server":"http://127.0.0.1:1/fhir"})", CRDEX_E_BAD_REQUEST, "\"task\" is missing"},
      {true, R"({"task":)" + task_ok + "}", CRDEX_E_BAD_REQUEST, "\"fhir_server\" is missing"},
      {true, R"({"task":)" + task_ok + R"(,"fhir_server":"http://127.0.0.1:1/fhir"})", CRDEX_E_BAD_REQUEST, ""},
  };
  for (const auto& c : cases) {
    crdex_result* raw = nullptr;
    const crdex_status status = c.fulfil ? crdex.engine_cdex_fulfil_task(engine, c.input.data(), c.input.size(), &raw)
                                         : crdex.engine_cdex_create_task(engine, c.input.data(), c.input.size(), &raw);
    const auto result = own(raw);
    BOOST_TEST(status == c.status, c.input << " -> " << crdex.status_name(status));
    BOOST_TEST(crdex.result_json(raw, nullptr) == nullptr);
    BOOST_TEST(crdex.result_http_status(raw) >= 400);
    BOOST_TEST(outcome(result).find("OperationOutcome") != std::string::npos);
    BOOST_TEST(std::string(crdex.result_message(raw)).find(c.message_part) != std::string::npos,
               c.input << " -> " << crdex.result_message(raw));
  }
  // A data-code request needs the code map, which the host passes.
  const std::string code_task = with_id(
      built_task(crdex, engine,
                 R"({"kind":"code","code":{"system":"http://loinc.org","code":"11506-3"},"for":{"reference":"Patient/1"},)"
                 R"("requester":{"reference":"Organization/p"},"owner":{"reference":"Organization/o"}})"),
      "t-2");
  const std::string unmapped = R"({"task":)" + code_task + R"(,"fhir_server":"http://127.0.0.1:1/fhir"})";
  BOOST_TEST(crdex.engine_cdex_fulfil_task(engine, unmapped.data(), unmapped.size(), nullptr) == CRDEX_E_UNSUPPORTED);
  BOOST_TEST(std::string(crdex.last_error_message()).find("code_queries") != std::string::npos);
  // NULL pointers.
  BOOST_TEST(crdex.engine_cdex_create_task(nullptr, "{}", 2, nullptr) == CRDEX_E_INVALID_ARGUMENT);
  BOOST_TEST(crdex.engine_cdex_fulfil_task(engine, nullptr, 0, nullptr) == CRDEX_E_INVALID_ARGUMENT);
  crdex.engine_destroy(engine);
}

// The example hosts, as an EHR runs them, against the real FHIR server: each
// fills a hook request's prefetch from it, evaluates the request, and creates
// a CDex Task posted to it (issue 9, "Done when").
namespace {

// Runs `command` through the shell and returns its stdout and stderr.
std::string run_command(const std::string& command, int& exit_status) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  BOOST_TEST_REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, got);
  exit_status = ::pclose(pipe);
  return output;
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// "task: Task/<id> requested" -> id.
std::string created_task_id(const std::string& output) {
  const std::string marker = "task: Task/";
  const auto at = output.find(marker);
  if (at == std::string::npos) return {};
  const auto end = output.find(' ', at + marker.size());
  return output.substr(at + marker.size(), end - at - marker.size());
}

struct HostRunFixture : CdexFixture {
  TempDir dir;
  HostRunFixture() { seed_guide_prefetch(fhir); }

  void check_fill_and_evaluate(const std::string& output, int exit_status) const {
    BOOST_TEST(exit_status == 0, output);
    for (const char* key : {"prefetched: patient", "prefetched: coverage", "HTTP 200"})
      BOOST_TEST(output.find(key) != std::string::npos, key << " in " << output);
    BOOST_TEST(output.find("AddressSanitizer") == std::string::npos, output);
  }
  void check_task_created(const std::string& output, int exit_status) const {
    BOOST_TEST_REQUIRE(exit_status == 0, output);
    BOOST_TEST(output.find("AddressSanitizer") == std::string::npos, output);
    const std::string id = created_task_id(output);
    BOOST_TEST_REQUIRE(!id.empty(), output);
    BOOST_TEST(output.find("Task/" + id + " requested") != std::string::npos, output);
    Json stored(stored_task(id));
    BOOST_TEST(std::string_view(stored.root()["code"]["coding"].at(0)["code"]) == "data-request-query");
  }
  std::string request_file() const {
    std::string body = without_member(read_fixture("crd-ig/CRDServiceRequest.json"), "prefetch");
    replace_all(body, kGuideFhirServer, fhir.fhir_url());
    write_text(dir.path() / "request.json", body);
    return (dir.path() / "request.json").string();
  }
  std::string task_request_file(const std::string& extra) const {
    write_text(dir.path() / "task-request.json", query_request("Condition?patient=123", extra));
    return (dir.path() / "task-request.json").string();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(PLUGIN_c_host_fills_prefetch_and_creates_a_cdex_task, HostRunFixture) {
  const std::string host = quoted(CRDEX_C_HOST_PATH) + " ";
  const std::string plugin_and_rules = quoted(CRDEX_PLUGIN_PATH) + " " + quoted(example_rules_dir().string()) + " ";
  int exit_status = -1;
  std::string output = run_command(host + "--fill-prefetch " + plugin_and_rules + quoted(request_file()), exit_status);
  check_fill_and_evaluate(output, exit_status);

  output = run_command(host + "--cdex-task " + plugin_and_rules + quoted(task_request_file(post_to())), exit_status);
  check_task_created(output, exit_status);
}

BOOST_FIXTURE_TEST_CASE(PLUGIN_python_host_fills_prefetch_and_creates_a_cdex_task, HostRunFixture) {
  // python3 is not ASan-built: in sanitized builds the runtime (and libstdc++)
  // are preloaded for it alone, as for the other Python host test.
  const std::string env = std::string(CRDEX_PYTHON_PRELOAD).empty()
                              ? std::string()
                              : "env LD_PRELOAD=" + quoted(CRDEX_PYTHON_PRELOAD) + " ASAN_OPTIONS=detect_leaks=0 ";
  const std::string host = env + quoted(CRDEX_PYTHON) + " " + quoted(CRDEX_PYTHON_HOST) + " --plugin " +
                           quoted(CRDEX_PLUGIN_PATH) + " --rules " + quoted(example_rules_dir().string()) + " ";
  int exit_status = -1;
  std::string output = run_command(host + "--request " + quoted(request_file()) + " --fhir-server " +
                                       quoted(fhir.fhir_url()) + " --access-token ehr-token",
                                   exit_status);
  check_fill_and_evaluate(output, exit_status);
  BOOST_TEST(output.find("not prefetched") == std::string::npos, output);

  output = run_command(host + "--cdex-task " + quoted(task_request_file("")) + " --post-to " + quoted(fhir.fhir_url()) +
                           " --access-token " + std::string(kPayerToken),
                       exit_status);
  check_task_created(output, exit_status);
}
