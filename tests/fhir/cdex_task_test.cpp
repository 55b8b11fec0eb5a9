// The CDex data-request Task model, its state machine and the polling
// cadence (CDX-04..08), with the CDex guide's own Task examples.
#include <boost/test/unit_test.hpp>

#include <set>

#include "crdex/fhir/cdex_polling.hpp"
#include "crdex/fhir/cdex_task.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;
namespace fc = fhir::cdex;
using std::chrono::milliseconds;
using std::chrono::minutes;

namespace {

std::string task_example(int n) { return test::read_fixture("cdex-ig/cdex-task-example" + std::to_string(n) + ".json"); }

// The guide's example 1 with `from` replaced by `to` (the text must occur).
std::string example1_with(const std::string& from, const std::string& to) {
  std::string text = test::minified(test::Json(task_example(1)).root());
  const auto at = text.find(from);
  BOOST_TEST_REQUIRE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

const std::string kQueryInput =
    R"({"type":{"coding":[{"system":"http://hl7.org/fhir/us/davinci-hrex/CodeSystem/hrex-temp","code":"data-query"}]},"valueString":"Condition?patient=cdex-example-patient&clinical-status=active,recurrance,remission"})";

fc::DataRequest sample_request() {
  fc::DataRequest r;
  r.kind = fc::RequestKind::code;
  r.code = {"http://loinc.org", "11506-3", "Progress note"};
  r.for_patient = R"({"identifier":{"system":"http://example.org/member-ids","value":"M1"}})";
  r.requester = R"({"identifier":{"system":"http://example.org/payer-ids","value":"Payer123"}})";
  r.owner = R"({"identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9941339108"}})";
  r.reason_reference = R"({"identifier":{"system":"http://example.org/claim-ids","value":"Claim123"}})";
  r.purpose_of_use = R"({"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"COVERAGE"}]})";
  r.signature = true;
  r.work_queue = "claims-processing";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cdex_task)

// Examples 19, 20, 22-25, 28 and 29 are cdex-task-attachment-request Tasks
// (solicited attachments, CDX-14), a different profile with different codes:
// the data-request reader refuses them by Task.code.
BOOST_AUTO_TEST_CASE(CDX_04_the_guides_data_request_examples_read_and_attachment_requests_are_refused) {
  const std::set<int> attachment_requests{19, 20, 22, 23, 24, 25, 28, 29};
  for (int n = 1; n <= 31; ++n) {
    auto task = fc::parse_data_request_task(task_example(n));
    if (attachment_requests.count(n)) {
      BOOST_TEST_REQUIRE(!task.ok(), n);
      BOOST_TEST(task.error().expression == "Task.code", n);
      continue;
    }
    BOOST_TEST_REQUIRE(task.ok(), "example " << n << ": " << (task ? "" : task.error().message));
    BOOST_TEST(task->id == "cdex-task-example" + std::to_string(n));
    BOOST_TEST(!task->request.requester.empty());
    BOOST_TEST(!task->request.owner.empty());
  }
  auto failed = fc::parse_data_request_task(task_example(9));
  BOOST_TEST_REQUIRE(failed.ok());
  BOOST_TEST((failed->progress.status == fc::TaskStatus::failed));
  BOOST_TEST(failed->progress.status_reason == "No matching results");
  auto query = fc::parse_data_request_task(task_example(1));
  BOOST_TEST((query->request.kind == fc::RequestKind::query));
  BOOST_TEST(query->request.query == "Condition?patient=cdex-example-patient&clinical-status=active,recurrance,remission");
  BOOST_TEST(query->request.work_queue == "claims-processing");
  BOOST_TEST(query->request.purpose_of_use.find("COVERAGE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CDX_04_profile_violations_name_the_element) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases{
      // {text, replacement, expected expression}
      {R"("intent":"order")", R"("intent":"plan")", "Task.intent"},
      {R"("code":"data-request-query")", R"("code":"data-request-everything")", "Task.code"},
      {R"("status":"requested")", R"("status":"received")", "Task.status"},
      {R"("status":"requested")", R"("status":"draft")", "Task.status"},
      {R"("authoredOn":"2020-10-26T02:58:55.179Z",)", "", "Task.authoredOn"},
      {R"("requester":{"identifier":{"system":"http://example.org/cdex/payer/payer-ids","value":"Payer123"}},)", "",
       "Task.requester"},
      {R"("owner":{"identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9941339108"}})",
       R"("owner":{"display":"somebody"})", "Task.owner"},
      {R"("valueString":"Condition?)", R"("valueInteger":3,"x":"Condition?)", "Task.input[0].valueString"},
      {R"("input":[)", R"("input":[)" + kQueryInput + ",", "Task.input[1]"},
      {R"("code":"data-query")", R"("code":"data-code")", "Task.input[0]"},
      {R"("status":"requested")", R"("status":"completed")", "Task.output"},
      {R"("status":"requested")", R"("status":"rejected")", "Task.statusReason"},
      {R"("intent":"order")", R"("intent":"order","focus":{"reference":"Claim/1"})", "Task.focus"},
  };
  for (const auto& [from, to, expression] : cases) {
    auto task = fc::parse_data_request_task(example1_with(from, to));
    BOOST_TEST_REQUIRE(!task.ok(), to);
    BOOST_TEST(task.error().http_status == 422, to);
    BOOST_TEST(task.error().expression == expression, to << " -> " << task.error().message);
  }
  // No data-query / data-code / questionnaire input at all (cdex-9).
  std::string text = test::minified(test::Json(task_example(1)).root());
  const auto at = text.find(kQueryInput + ",");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  auto none = fc::parse_data_request_task(text.erase(at, kQueryInput.size() + 1));
  BOOST_TEST_REQUIRE(!none.ok());
  BOOST_TEST(none.error().expression == "Task.input");
  // Not JSON, not a Task.
  BOOST_TEST(fc::parse_data_request_task("{not json").error().http_status == 400);
  BOOST_TEST(fc::parse_data_request_task(R"({"resourceType":"Patient"})").error().expression == "Task.resourceType");
}

BOOST_AUTO_TEST_CASE(CDX_04_CDX_07_a_built_task_reads_back_with_every_element) {
  const auto request = sample_request();
  const auto text = fc::build_data_request_task(request);
  auto task = fc::parse_data_request_task(text);
  BOOST_TEST_REQUIRE(task.ok(), (task ? text : task.error().message));
  BOOST_TEST((task->progress.status == fc::TaskStatus::requested));
  BOOST_TEST((task->request.kind == fc::RequestKind::code));
  BOOST_TEST(task->request.code.system == "http://loinc.org");
  BOOST_TEST(task->request.code.code == "11506-3");
  BOOST_TEST(task->request.code.text == "Progress note");
  BOOST_TEST(task->request.for_patient == request.for_patient);
  BOOST_TEST(task->request.requester == request.requester);
  BOOST_TEST(task->request.owner == request.owner);
  BOOST_TEST(task->request.reason_reference == request.reason_reference);  // CDX-07: the claim
  BOOST_TEST(task->request.purpose_of_use == request.purpose_of_use);
  BOOST_TEST((task->request.signature == std::optional<bool>(true)));
  BOOST_TEST(task->request.work_queue == "claims-processing");
  BOOST_TEST(!task->request.authored_on.empty());
  test::Json parsed(text);
  BOOST_TEST(std::string_view(parsed.root()["intent"]) == "order");
  BOOST_TEST(std::string_view(parsed.root()["meta"]["profile"].at(0)) == fc::kDataRequestProfile);
  BOOST_TEST(test::empty_values(parsed.root()).empty());

  for (auto kind : {fc::RequestKind::query, fc::RequestKind::questionnaire}) {
    auto other = request;
    other.kind = kind;
    other.query = "Observation?patient=1&code=4548-4";
    other.questionnaire = "http://example.org/Questionnaire/q1";
    auto read = fc::parse_data_request_task(fc::build_data_request_task(other));
    BOOST_TEST_REQUIRE(read.ok());
    BOOST_TEST((read->request.kind == kind));
  }
}

BOOST_AUTO_TEST_CASE(CDX_06_progress_is_written_over_the_received_task) {
  fc::TaskProgress progress{fc::TaskStatus::completed, "", "Results reviewed for release",
                            {R"({"type":{"coding":[{"system":"http://hl7.org/fhir/us/davinci-hrex/CodeSystem/hrex-temp","code":"data-value"}]},"valueReference":{"reference":"#result"}})"},
                            {R"({"resourceType":"Bundle","id":"result","type":"searchset","total":0})"}};
  const auto text = fc::write_task_progress(task_example(1), "t-1", progress, "2026-11-22T00:00:00Z");
  auto task = fc::parse_data_request_task(text);
  BOOST_TEST_REQUIRE(task.ok(), (task ? text : task.error().message));
  BOOST_TEST(task->id == "t-1");
  BOOST_TEST((task->progress.status == fc::TaskStatus::completed));
  BOOST_TEST(task->progress.business_status == "Results reviewed for release");
  BOOST_TEST(task->progress.outputs.size() == 1u);
  BOOST_TEST(task->progress.contained.size() == 1u);
  BOOST_TEST(task->request.query == fc::parse_data_request_task(task_example(1))->request.query);
  test::Json parsed(text);
  BOOST_TEST(std::string_view(parsed.root()["lastModified"]) == "2026-11-22T00:00:00Z");

  fc::TaskProgress failed{fc::TaskStatus::failed, "No matching results", "", {}, {}};
  auto failed_task = fc::parse_data_request_task(fc::write_task_progress(text, "t-1", failed, ""));
  BOOST_TEST_REQUIRE(failed_task.ok());
  BOOST_TEST(failed_task->progress.status_reason == "No matching results");
  BOOST_TEST(failed_task->progress.outputs.empty());  // the old output is gone
}

BOOST_AUTO_TEST_CASE(CDX_05_status_codes_are_the_hrex_value_set_and_transitions_follow_the_machine) {
  using S = fc::TaskStatus;
  for (auto code : {"requested", "accepted", "rejected", "in-progress", "failed", "completed", "on-hold"})
    BOOST_TEST(fc::task_status_code(*fc::parse_task_status(code)) == std::string(code));
  for (auto code : {"received", "ready", "draft", "cancelled", "entered-in-error", ""})
    BOOST_TEST(!fc::parse_task_status(code).has_value(), code);

  const std::set<std::pair<S, S>> allowed{
      {S::requested, S::accepted}, {S::requested, S::rejected},  {S::requested, S::on_hold},
      {S::requested, S::failed},   {S::on_hold, S::accepted},    {S::on_hold, S::rejected},
      {S::accepted, S::in_progress}, {S::accepted, S::failed},   {S::in_progress, S::completed},
      {S::in_progress, S::failed}, {S::in_progress, S::on_hold}};
  const S all[] = {S::requested, S::accepted, S::rejected, S::in_progress, S::failed, S::completed, S::on_hold};
  for (S from : all)
    for (S to : all) {
      const auto refused = fc::check_transition(from, to);
      BOOST_TEST(refused.has_value() == !allowed.count({from, to}),
                 fc::task_status_code(from) << " -> " << fc::task_status_code(to));
      if (refused) BOOST_TEST(refused->http_status == 409);
    }
  for (S terminal : {S::rejected, S::failed, S::completed}) BOOST_TEST(fc::is_terminal(terminal));
}

// CDX-08 with a fake clock: the offsets a consumer polls at.
BOOST_AUTO_TEST_CASE(CDX_08_polling_waits_a_minute_then_five_minutes_for_half_an_hour_then_hourly) {
  const fc::PollingCadence cadence;  // the CDex figures
  std::vector<milliseconds> polls;
  milliseconds at{0};
  bool polled = false;
  while (at < std::chrono::hours(4)) {
    at = fc::next_poll_offset(cadence, at, polled);
    polled = true;
    polls.push_back(at);
  }
  BOOST_TEST(polls.front() == milliseconds(minutes(1)));
  for (size_t i = 1; i < polls.size(); ++i) {
    const auto gap = polls[i] - polls[i - 1];
    BOOST_TEST(gap >= milliseconds(minutes(5)));                                     // never more often
    if (polls[i] > minutes(30)) BOOST_TEST(gap >= milliseconds(std::chrono::hours(1)));  // hourly after
    if (polls[i] <= minutes(30)) BOOST_TEST(gap == milliseconds(minutes(5)));         // but as often as allowed
  }
  BOOST_TEST(polls[5] == milliseconds(minutes(26)));
  BOOST_TEST(polls[6] == milliseconds(minutes(86)));

  const fc::PollingCadence fast{milliseconds(10), milliseconds(20), milliseconds(50), milliseconds(100)};
  BOOST_TEST(fc::next_poll_offset(fast, milliseconds(0), false) == milliseconds(10));
  BOOST_TEST(fc::next_poll_offset(fast, milliseconds(10), true) == milliseconds(30));
  BOOST_TEST(fc::next_poll_offset(fast, milliseconds(40), true) == milliseconds(140));
}

BOOST_AUTO_TEST_SUITE_END()
