// The audit log, feedback and the admin API on a real crdex-server: every
// call retrievable by hookInstance, patient and time (CRD-45), tokens never
// stored, nothing lost on SIGTERM, feedback (CH-22, CH-23) credited to payer
// rules, and the rules API's dry run against the last recorded calls.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "crdex/fhir/sqlite_database.hpp"

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

constexpr const char* kAcmePublisherToken = "acme-publisher-token-0123456789";

constexpr const char* kAdminToken = "admin-token-for-tests-0123456789";
constexpr const char* kAccessToken = "ehr-access-token-must-never-be-stored-5d1e";
constexpr const char* kClientJwt = "eyJhbGciOiJFUzM4NCJ9.client-jwt-must-never-be-stored.c2lnbmF0dXJl";
constexpr const char* kExampleInstance = "d5a80646-7ef5-4edf-ade9-72407ca28c76";

// The example order-sign request with its own hookInstance and our access
// token; fhirServer is a closed loopback port so nothing leaves the machine.
std::string example_call(const std::string& hook_instance) {
  std::string body = test::read_file(test::source_dir() / "examples/requests/order-sign.json");
  body = test::replace_first(body, kExampleInstance, hook_instance);
  body = test::replace_first(body, "some-opaque-fhir-access-token", kAccessToken);
  return test::replace_first(body, "http://example.org/some-payer/fhir/crd", "http://127.0.0.1:9/fhir");
}

std::string instance(int i) { return "7b0e6c1a-0000-4000-8000-" + std::string(12 - std::to_string(i).size(), '0') + std::to_string(i); }

// A server with the admin token and Acme's publisher token whose data
// directory outlives restarts.
struct AuditedServer {
  test::TempDir dir;
  std::string data = (dir.path() / "data").string();
  std::unique_ptr<test::ServerProcess> server;
  bool bodies = true;  // --audit-bodies: these tests read the stored requests and responses
  std::vector<std::string> extra;  // further options

  explicit AuditedServer(bool keep_bodies = true, std::vector<std::string> more = {})
      : bodies(keep_bodies), extra(std::move(more)) {
    std::ofstream(dir.path() / "admin.token") << kAdminToken << "\n";
    std::ofstream(dir.path() / "acme.token") << kAcmePublisherToken << "\n";
    start();
  }
  void start() {
    std::vector<std::string> args{"--admin-token-file", (dir.path() / "admin.token").string(), "--publisher-token",
                                  "acme-health-plan=" + (dir.path() / "acme.token").string()};
    if (bodies) args.emplace_back("--audit-bodies");
    args.insert(args.end(), extra.begin(), extra.end());
    server = std::make_unique<test::ServerProcess>(args, std::string(), true, data);
  }
  // SIGTERM (which flushes the audit queue), then start again on the same data.
  void restart() {
    const auto status = server->stop(SIGTERM);
    BOOST_TEST_REQUIRE((status.exited && status.code == 0));
    start();
  }
  std::string url(const std::string& path) const { return server->base_url() + path; }
  test::HttpResult call(const std::string& body, const std::vector<std::string>& headers = {}) const {
    return test::http_request("POST", url("/cds-services/crdex-order-sign"), body, "application/json", headers);
  }
  test::HttpResult admin(const std::string& path, const std::string& token = kAdminToken) const {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return test::http_request("GET", url(path), {}, "application/json", headers);
  }
  test::HttpResult feedback(const std::string& body, const std::string& service = "crdex-order-sign") const {
    return test::http_post(url("/cds-services/" + service + "/feedback"), body);
  }
};

std::string file_text(const std::filesystem::path& path) { return test::read_file(path); }

// One unlabelled series of GET /metrics; -1 when absent.
double audit_metric(const AuditedServer& s, const std::string& series) {
  std::istringstream lines(test::http_request("GET", s.url("/metrics"), {}, "", {}).body);
  std::string line;
  while (std::getline(lines, line))
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_api)

BOOST_AUTO_TEST_CASE(ops_above_the_audit_high_water_mark_hook_calls_get_503_and_nothing_is_dropped) {
  AuditedServer s(false, {"--audit-queue", "4", "--audit-high-water", "1"});
  // The test holds audit.sqlite's write lock: the writer takes the first
  // record and then waits for the lock (its busy time-out is 10 s), so the
  // next record stays queued and the queue is at its mark of 1.
  auto lock = fhir::SqliteDatabase::open(std::filesystem::path(s.data) / "audit.sqlite", "", {.name = "lock"});
  BOOST_TEST_REQUIRE(lock.ok());
  BOOST_TEST_REQUIRE((*lock)->exec("BEGIN IMMEDIATE"));
  int answered = 0;
  test::HttpResult refused;
  for (int i = 0; i < 3 && refused.status == 0; ++i) {  // the third call at the latest finds the mark reached
    auto result = s.call(example_call(instance(900 + i)));
    if (result.status == 200) ++answered;
    else refused = result;
  }
  BOOST_TEST_REQUIRE(refused.status == 503, refused.body);
  BOOST_TEST(refused.header("retry-after") == "1");
  BOOST_TEST(refused.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos, refused.body);
  BOOST_TEST(refused.body.find("audit log is behind") != std::string::npos, refused.body);
  BOOST_TEST(answered >= 1);
  BOOST_TEST(audit_metric(s, "crdex_audit_busy_refusals_total") == 1);
  BOOST_TEST_REQUIRE((*lock)->exec("COMMIT"));
  // Every call answered 200 is written; none dropped; the refusal was not queued.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (audit_metric(s, "crdex_audit_written_total") < answered && std::chrono::steady_clock::now() < deadline) {
  }
  BOOST_TEST(audit_metric(s, "crdex_audit_written_total") == answered);
  BOOST_TEST(audit_metric(s, "crdex_audit_dropped_total") == 0);
  // The mark is gone once the writer caught up: calls are answered again.
  BOOST_TEST(s.call(example_call(instance(910))).status == 200);
}

BOOST_AUTO_TEST_CASE(by_default_a_call_is_kept_as_a_compact_record_without_bodies) {
  AuditedServer s(false);
  const auto answered = s.call(example_call(instance(7)), {"X-Request-Id: compact-audit-0007"});
  BOOST_TEST_REQUIRE(answered.status == 200, answered.body);
  s.restart();
  const auto found = s.admin("/admin/audit?hookInstance=" + instance(7));
  BOOST_TEST_REQUIRE(found.status == 200, found.body);
  test::Json json(found.body);
  auto entries = json.root()["entries"].get_array().value();
  BOOST_TEST_REQUIRE(entries.size() == 1u);
  auto entry = entries.at(0).value();
  BOOST_TEST(std::string(entry["patientId"].get_string().value()) == "123");
  BOOST_TEST(std::string(entry["payer"].get_string().value()) == "acme-health-plan");
  BOOST_TEST(std::string(entry["requestId"].get_string().value()) == "compact-audit-0007");
  BOOST_TEST(entry["request"].is_null());
  BOOST_TEST(entry["response"]["bodiesKept"].get_bool().value() == false);
  BOOST_TEST(entry["response"]["response"]["bytes"].get_int64().value() == static_cast<int64_t>(answered.body.size()));
  BOOST_TEST(std::string(entry["response"]["request"]["sha256"].get_string().value()).size() == 64u);
  BOOST_TEST(found.body.find("Coverage") == std::string::npos);  // no clinical content
  BOOST_TEST(found.body.size() < 1024u, found.body.size());
  // The recorded dry run says why it has nothing to replay.
  const auto dry = test::http_request(
      "POST", s.url("/payers/acme-health-plan/rules:dry-run"),
      R"({"ruleSet":)" + test::read_file(test::example_rules_dir() / "acme-health-plan.json") + R"(,"lastRecorded":2})",
      "application/json", {"Authorization: Bearer " + std::string(kAcmePublisherToken)});
  BOOST_TEST(dry.status == 200, dry.body);
  BOOST_TEST(dry.body.find("--audit-bodies") != std::string::npos, dry.status << " " << dry.body);
}

BOOST_AUTO_TEST_CASE(CRD_45_every_call_is_retrievable_and_no_token_is_ever_stored) {
  AuditedServer s;
  const auto answered = s.call(example_call(instance(1)), {"Authorization: Bearer " + std::string(kClientJwt)});
  const std::string request_id = answered.header("x-request-id");  // made by crdex
  BOOST_TEST_REQUIRE(answered.status == 200, answered.body);
  BOOST_TEST(s.call("{not json", {}).status == 400);
  s.restart();  // the writer has flushed everything

  const auto found = s.admin("/admin/audit?hookInstance=" + instance(1));
  BOOST_TEST_REQUIRE(found.status == 200, found.body);
  test::Json json(found.body);
  auto entries = json.root()["entries"].get_array().value();
  BOOST_TEST_REQUIRE(entries.size() == 1u);
  auto entry = entries.at(0).value();
  BOOST_TEST(std::string(entry["service"].get_string().value()) == "crdex-order-sign");
  BOOST_TEST(std::string(entry["patientId"].get_string().value()) == "123");
  BOOST_TEST(std::string(entry["payer"].get_string().value()) == "acme-health-plan");
  BOOST_TEST(entry["status"].get_int64().value() == 200);
  BOOST_TEST(std::string(entry["requestId"].get_string().value()) == request_id);
  const auto by_id = s.admin("/admin/audit?requestId=" + request_id);
  BOOST_TEST(by_id.body.find(instance(1)) != std::string::npos, by_id.body);
  BOOST_TEST(std::string(entry["request"]["hookInstance"].get_string().value()) == instance(1));
  BOOST_TEST(entry["request"]["fhirAuthorization"].error() == simdjson::NO_SUCH_FIELD);
  BOOST_TEST(test::minified(entry["response"].value()) == test::minified(test::Json(answered.body).root()));

  const auto by_patient = s.admin("/admin/audit?patient=Patient%2F123");
  BOOST_TEST(test::Json(by_patient.body).root()["entries"].get_array().value().size() == 1u);
  const auto all = s.admin("/admin/audit");  // the 400 is recorded too, without a body
  test::Json all_json(all.body);
  auto all_entries = all_json.root()["entries"].get_array().value();
  BOOST_TEST_REQUIRE(all_entries.size() == 2u);
  BOOST_TEST(all_entries.at(1)["status"].get_int64().value() == 400);
  BOOST_TEST(all_entries.at(1)["request"].is_null());

  s.server->stop(SIGTERM);
  size_t files = 0;
  for (const auto& file : std::filesystem::directory_iterator(s.data)) {
    const auto text = file_text(file.path());
    BOOST_TEST(text.find(kAccessToken) == std::string::npos, file.path());
    BOOST_TEST(text.find("client-jwt-must-never-be-stored") == std::string::npos, file.path());
    ++files;
  }
  BOOST_TEST(files >= 2u);  // rules.sqlite and audit.sqlite at least
}

BOOST_AUTO_TEST_CASE(CRD_45_sigterm_writes_every_queued_call_before_exit) {
  AuditedServer s;
  constexpr int kCalls = 40;
  for (int i = 0; i < kCalls; ++i) BOOST_TEST_REQUIRE(s.call(example_call(instance(i))).status == 200);
  s.restart();
  std::set<std::string> seen;
  std::string next = "/admin/audit?limit=15";
  int pages = 0;
  while (!next.empty()) {
    const auto page = s.admin(next);
    BOOST_TEST_REQUIRE(page.status == 200, page.body);
    test::Json json(page.body);
    for (auto entry : json.root()["entries"].get_array()) seen.insert(std::string(entry["hookInstance"].get_string().value()));
    std::string_view link;
    next = json.root()["next"].get(link) == simdjson::SUCCESS ? std::string(link) : std::string();
    BOOST_TEST_REQUIRE(++pages <= 4);
  }
  BOOST_TEST(pages == 3);
  BOOST_TEST(seen.size() == static_cast<size_t>(kCalls));
  for (int i = 0; i < kCalls; ++i) BOOST_TEST(seen.contains(instance(i)), instance(i));
  const auto stats = s.admin("/admin/audit/stats");
  BOOST_TEST(test::Json(stats.body).root()["dropped"].get_int64().value() == 0);
}

BOOST_AUTO_TEST_CASE(admin_api_needs_the_admin_token_and_checks_its_parameters) {
  AuditedServer s;
  auto missing = s.admin("/admin/audit", "");
  BOOST_TEST(missing.status == 401);
  BOOST_TEST(missing.header("www-authenticate").find("Bearer") == 0u);
  BOOST_TEST(s.admin("/admin/audit", kAcmePublisherToken).status == 401);
  BOOST_TEST(s.admin("/admin/audit", std::string(kAdminToken) + "x").status == 401);
  BOOST_TEST(s.admin("/admin/feedback").status == 200);
  BOOST_TEST(s.admin("/admin/nothing").status == 404);
  const auto bad_time = s.admin("/admin/audit?from=yesterday");
  BOOST_TEST(bad_time.status == 400);
  BOOST_TEST(bad_time.body.find("\"expression\":[\"from\"]") != std::string::npos, bad_time.body);
  BOOST_TEST(s.admin("/admin/audit?limit=0").status == 400);
  const auto window = s.admin("/admin/audit?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z");
  BOOST_TEST(window.status == 200);
  BOOST_TEST(test::Json(window.body).root()["entries"].get_array().value().size() == 0u);
  const auto post = test::http_request("POST", s.url("/admin/audit"), "{}", "application/json",
                                       {"Authorization: Bearer " + std::string(kAdminToken)});
  BOOST_TEST(post.status == 405);

  test::ServerProcess without_admin;
  const auto off = test::http_request("GET", without_admin.base_url() + "/admin/audit", {}, "application/json",
                                      {"Authorization: Bearer " + std::string(kAdminToken)});
  BOOST_TEST(off.status == 403);
}

BOOST_AUTO_TEST_CASE(CH_22_CH_23_feedback_is_validated_stored_and_credited_to_the_rule) {
  AuditedServer s;
  const auto answered = s.call(example_call(instance(1)));
  BOOST_TEST_REQUIRE(answered.status == 200);
  test::Json answer(answered.body);
  const std::string card(answer.root()["cards"].at(0)["uuid"].get_string().value());
  const std::string overridden = R"({"feedback":[{"card":")" + card +
                                 R"(","outcome":"overridden","outcomeTimestamp":"2026-11-22T03:04:05Z",)"
                                 R"("overrideReason":{"reason":{"system":"http://example.org/why","code":"already-authorized"}}}]})";
  const auto stored = s.feedback(overridden);
  BOOST_TEST(stored.status == 200, stored.body);
  BOOST_TEST(test::Json(stored.body).root()["new"].get_int64().value() == 1);
  BOOST_TEST(test::Json(s.feedback(overridden).body).root()["new"].get_int64().value() == 0);  // duplicates tolerated

  const auto invalid = s.feedback(R"({"feedback":[{"card":")" + card + R"(","outcome":"accepted","outcomeTimestamp":"2026-11-22T03:04:05Z"}]})");
  BOOST_TEST(invalid.status == 400);
  BOOST_TEST(invalid.header("content-type") == "application/fhir+json");
  BOOST_TEST(invalid.body.find("\"expression\":[\"feedback[0].acceptedSuggestions\"]") != std::string::npos,
             invalid.body);
  BOOST_TEST(s.feedback(R"({"feedback":[{"card":")" + card + R"(","outcome":"overridden"}]})").status == 400);
  BOOST_TEST(s.feedback(overridden, "no-such-service").status == 404);
  BOOST_TEST(test::http_get(s.url("/cds-services/crdex-order-sign/feedback")).status == 405);
  BOOST_TEST(test::http_post(s.url("/cds-services/crdex-order-sign/feedback"), overridden, "text/plain").status == 415);

  s.restart();  // the call's card origins are written
  const auto summary = s.admin("/admin/feedback?payer=acme-health-plan");
  BOOST_TEST_REQUIRE(summary.status == 200, summary.body);
  test::Json rows(summary.body);
  auto list = rows.root()["rules"].get_array().value();
  BOOST_TEST_REQUIRE(list.size() == 1u, summary.body);
  auto row = list.at(0).value();
  BOOST_TEST(std::string(row["payer"].get_string().value()) == "acme-health-plan");
  BOOST_TEST(std::string(row["rule"].get_string().value()) == "mammography-contrast-pa");
  BOOST_TEST(row["ruleSetVersion"].get_int64().value() == 1);
  BOOST_TEST(row["overridden"].get_int64().value() == 1);
  BOOST_TEST(row["accepted"].get_int64().value() == 0);
  BOOST_TEST(std::string(row["overrideReasons"].at(0)["code"].get_string().value()) == "already-authorized");
}

BOOST_AUTO_TEST_CASE(RULES_09_dry_run_against_the_last_recorded_calls) {
  AuditedServer s;
  const auto order = test::order_sign_request(test::service_request_entry("sr-1", "http://www.ama-assn.org/go/cpt", "99999"),
                                              R"({"coverage":)" + test::ig_coverage_bundle() + "}");
  for (int i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(s.call(order).status == 200);
  s.restart();

  std::string candidate = test::read_file(test::example_rules_dir() / "acme-health-plan.json");
  candidate = test::replace_first(candidate, R"("pa-needed": "no-auth")", R"("pa-needed": "auth-needed")");
  const auto dry = test::http_request("POST", s.url("/payers/acme-health-plan/rules:dry-run"),
                                      R"({"ruleSet":)" + candidate + R"(,"lastRecorded":2})", "application/json",
                                      {"Authorization: Bearer " + std::string(kAcmePublisherToken)});
  BOOST_TEST_REQUIRE(dry.status == 200, dry.body);
  test::Json json(dry.body);
  BOOST_TEST(json.root()["requests"].get_int64().value() == 2);
  BOOST_TEST(json.root()["changedRequests"].get_int64().value() == 2);
  auto first = json.root()["recorded"].at(0).value();
  BOOST_TEST(first["changed"].get_bool().value());
  auto decision = first["orders"].at(0).value();
  BOOST_TEST(std::string(decision["order"].get_string().value()) == "ServiceRequest/sr-1");
  const std::string answered(decision["answered"].get_string().value());
  BOOST_TEST(answered == std::string(decision["current"].get_string().value()));
  BOOST_TEST(answered.find("no-auth") != std::string::npos);
  BOOST_TEST(std::string(decision["candidate"].get_string().value()).find("auth-needed") != std::string::npos);

  const auto too_many = test::http_request("POST", s.url("/payers/acme-health-plan/rules:dry-run"),
                                           R"({"ruleSet":)" + candidate + R"(,"lastRecorded":0})",
                                           "application/json", {"Authorization: Bearer " + std::string(kAcmePublisherToken)});
  BOOST_TEST(too_many.status == 400);
}

BOOST_AUTO_TEST_SUITE_END()
