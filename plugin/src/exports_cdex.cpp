// Exported CDex functions (CRDEX_FEATURE_CDEX): the Data Consumer builds and
// posts a data-request Task; the Data Source fulfils one synchronously on
// the calling thread through Direct Query against the EHR's FHIR server,
// reusing the fulfilment crdex-server's Data Source runs.

#include <simdjson.h>

#include <chrono>
#include <string>
#include <string_view>

#include "abi_guard.hpp"
#include "crdex/cdex/fulfilment.hpp"
#include "cdex_requests.hpp"
#include "crdex/crdex.h"
#include "crdex/cdex/task_posting.hpp"
#include "crdex/fhir/instant.hpp"
#include "plugin_engine.hpp"
#include "result.hpp"

using namespace crdex;
using namespace crdex::plugin;
namespace fc = crdex::fhir::cdex;

namespace {

// A Task POST or a fulfilment search may take this long at most.
constexpr std::chrono::seconds kCdexTimeout{30};

crdex_status input_status(const fhir::Error& error) {
  return error.type == fhir::IssueType::structure ? CRDEX_E_BAD_JSON : CRDEX_E_BAD_REQUEST;
}

// The server's own words from an OperationOutcome answer, when there are any.
std::string server_diagnostics(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view text;
  if (parser.parse(body).get(root) != simdjson::SUCCESS ||
      root["issue"].at(0)["diagnostics"].get(text) != simdjson::SUCCESS)
    return {};
  return ": " + std::string(text);
}

struct PostAnswer {
  bool answered = false;
  long http_status = 0;
  std::string body;
  std::string problem;
};

// POST [post_to]/Task through the host's transport when it gave one, else
// through crdex's own libcurl client; either way the token goes only there.
PostAnswer post_task(const crdex_engine& engine, const CreateTaskRequest& request, const std::string& task) {
  PostAnswer out;
  if (engine.host.fhir_transport()) {
    std::string url = request.post_to;
    while (!url.empty() && url.back() == '/') url.pop_back();
    const auto reply = HostFetcher(engine.host.fhir_transport(), engine.host.user_data())
                           .post(url + "/Task", request.access_token, task);
    out = {reply.answered, reply.http_status, reply.body, reply.problem};
    return out;
  }
  auto answer = cdex::post_task(
      {request.post_to, request.access_token, kCdexTimeout, engine.direct_query.allow_plain_http}, task);
  out.answered = answer.ok() || answer.outcome == fhir::QueryAnswer::Outcome::http_error;
  out.http_status = answer.http_status;
  out.body = std::move(answer.body);
  out.problem = std::move(answer.problem);
  return out;
}

crdex_result* create_task(const crdex_engine& engine, std::string_view request_json) {
  auto request = read_create_task_request(request_json);
  if (!request) return error_result(input_status(request.error()), request.error());
  std::string task = fc::build_data_request_task(request->request);
  if (request->post_to.empty()) return success_result(std::move(task));

  if (auto refused = fhir::check_fhir_server_url(request->post_to, engine.direct_query.allow_plain_http)) {
    refused->expression = "post_to";
    return error_result(CRDEX_E_BAD_REQUEST, *refused);
  }
  auto posted = post_task(engine, *request, task);
  if (!posted.answered)
    return error_result(CRDEX_E_INTERNAL, {502, fhir::IssueType::exception,
                                           "the Task could not be posted to " + request->post_to + ": " + posted.problem,
                                           "post_to"});
  if (posted.http_status < 200 || posted.http_status >= 300) {
    const int status = static_cast<int>(posted.http_status);
    return error_result(status_for_http(status),
                        {status, fhir::IssueType::processing,
                         "the FHIR server at " + request->post_to + " refused the Task with HTTP " +
                             std::to_string(status) + server_diagnostics(posted.body),
                         "post_to"});
  }
  // The Task as created: a server that answers without a body (return=minimal) gets a clear error.
  simdjson::dom::parser parser;
  simdjson::dom::element created;
  std::string_view type, id;
  if (parser.parse(posted.body).get(created) != simdjson::SUCCESS || created["resourceType"].get(type) ||
      type != "Task" || created["id"].get(id))
    return error_result(CRDEX_E_INTERNAL, {502, fhir::IssueType::exception,
                                           "the FHIR server at " + request->post_to +
                                               " accepted the Task but did not answer it with an id",
                                           "post_to"});
  return success_result(std::move(posted.body));
}

crdex_result* fulfil_task(const crdex_engine& engine, std::string_view task_json) {
  auto request = read_fulfil_task_request(task_json);
  if (!request) return error_result(input_status(request.error()), request.error());
  auto task = fc::parse_data_request_task(request->task);
  if (!task) return error_result(CRDEX_E_BAD_REQUEST, task.error());  // its expression names the Task element
  if (task->id.empty())
    return error_result(CRDEX_E_BAD_REQUEST, {400, fhir::IssueType::required,
                                              "the Task to fulfil has no id: pass it as the server stored it",
                                              "task.id"});
  if (task->progress.status != fc::TaskStatus::requested && task->progress.status != fc::TaskStatus::accepted &&
      task->progress.status != fc::TaskStatus::in_progress)
    return error_result(CRDEX_E_BAD_REQUEST, {409, fhir::IssueType::business_rule,
                                              "the Task is " + std::string(fc::task_status_code(task->progress.status)) +
                                                  ": only a requested, accepted or in-progress Task can be fulfilled",
                                              "task.status"});
  if (auto refused = fhir::check_fhir_server_url(request->fhir_server, engine.direct_query.allow_plain_http)) {
    refused->expression = "fhir_server";
    return error_result(CRDEX_E_BAD_REQUEST, *refused);
  }

  cdex::DataSourceOptions options;
  options.ehr_base = request->fhir_server;
  options.ehr_token = request->access_token;
  options.code_queries = request->code_queries;
  options.query_timeout = kCdexTimeout;
  options.max_pages = engine.direct_query.max_pages;
  options.allow_plain_http = engine.direct_query.allow_plain_http;
  const auto& wanted = task->request;
  if (wanted.kind == fc::RequestKind::questionnaire ||
      (wanted.kind == fc::RequestKind::code && cdex::mapped_query(options, wanted.code).empty()))
    return error_result(CRDEX_E_UNSUPPORTED,
                        {501, fhir::IssueType::not_supported,
                         wanted.kind == fc::RequestKind::questionnaire
                             ? "questionnaire requests are not fulfilled by the plugin"
                             : "no search is configured for the requested code: pass \"code_queries\"",
                         "task.input"});

  const auto done = cdex::fulfil_request(options, wanted);
  fc::TaskProgress progress;
  if (done.ok) {
    progress.status = fc::TaskStatus::completed;
    progress.outputs.push_back(
        R"({"type":{"coding":[{"system":")" + std::string(fc::kHrexTempSystem) +
        R"(","code":"data-value"}]},"valueReference":{"reference":"#result"}})");
    progress.contained.push_back(done.result);
  } else {
    progress.status = fc::TaskStatus::failed;
    progress.status_reason = done.problem;
  }
  return success_result(fc::write_task_progress(request->task, task->id, progress, crdex::fhir::now_instant()));
}

}  // namespace

extern "C" {

CRDEX_API crdex_status crdex_engine_cdex_create_task(const crdex_engine* engine, const char* request_json,
                                                     size_t request_len, crdex_result** out_result) noexcept {
  return guard([&] {
    if (out_result) *out_result = nullptr;
    if (!engine || !request_json)
      return refuse(CRDEX_E_INVALID_ARGUMENT, 400, "crdex_engine_cdex_create_task: engine or request_json is NULL",
                    out_result);
    return deliver(create_task(*engine, view(request_json, request_len)), out_result);
  });
}

CRDEX_API crdex_status crdex_engine_cdex_fulfil_task(const crdex_engine* engine, const char* task_json,
                                                     size_t task_len, crdex_result** out_result) noexcept {
  return guard([&] {
    if (out_result) *out_result = nullptr;
    if (!engine || !task_json)
      return refuse(CRDEX_E_INVALID_ARGUMENT, 400, "crdex_engine_cdex_fulfil_task: engine or task_json is NULL",
                    out_result);
    return deliver(fulfil_task(*engine, view(task_json, task_len)), out_result);
  });
}

}  // extern "C"
