#include "cdex_api.hpp"

#include "api_helpers.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/token_file.hpp"
#include "crdex/fhir/operation_outcome.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;
namespace fc = fhir::cdex;

namespace {

constexpr std::string_view kTaskPath = "/fhir/Task";
constexpr std::string_view kReviewPath = "/cdex/review";
constexpr std::string_view kRequestsPath = "/cdex/requests";

// A token file of the --cdex-* options; none given: no token.
fhir::Result<std::string> optional_token_file(const std::string& file, const char* option) {
  if (file.empty()) return std::string();
  return fhir::read_token_file(file, option);
}

fhir::Result<std::map<std::string, std::string>> read_code_map(const std::string& file) {
  std::map<std::string, std::string> map;
  if (file.empty()) return map;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (parser.load(file).get(root) != simdjson::SUCCESS || root.get_object().get(object) != simdjson::SUCCESS)
    return fhir::Error{500, fhir::IssueType::exception, "--cdex-code-map " + file + ": not a JSON object", ""};
  for (auto field : object) {
    std::string_view query;
    if (field.value.get_string().get(query) != simdjson::SUCCESS || query.empty())
      return fhir::Error{500, fhir::IssueType::exception,
                         "--cdex-code-map " + file + ": \"" + std::string(field.key) + "\" must map to a search string", ""};
    map.emplace(std::string(field.key), std::string(query));
  }
  return map;
}

// Constant-time comparison of the request's bearer token with `expected`.
bool bearer_matches(const Http::Request& request, const std::string& expected) {
  const std::string presented = bearer_token_of(request);
  if (presented.size() != expected.size()) return false;
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

std::optional<ApiAnswer> refuse_unless_authorized(const Http::Request& request, const std::string& token,
                                                  bool open_without_token) {
  if (token.empty()) {
    if (open_without_token) return std::nullopt;
    return problem_answer(403, fhir::IssueType::security, "these endpoints are off: start crdex-server with --cdex-admin-token-file");
  }
  if (bearer_matches(request, token)) return std::nullopt;
  ApiAnswer answer = problem_answer(401, fhir::IssueType::security, "a valid bearer token is required");
  answer.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"crdex-cdex\"");
  return answer;
}

std::optional<ApiAnswer> refuse_media_type(const Http::Request& request) {
  auto type = request.headers().tryGet<Http::Header::ContentType>();
  if (!type) return problem_answer(415, fhir::IssueType::not_supported, "send application/fhir+json or application/json");
  const auto mime = type->mime().toString();
  if (mime.starts_with("application/fhir+json") || mime.starts_with("application/json")) return std::nullopt;
  return problem_answer(415, fhir::IssueType::not_supported, "send application/fhir+json or application/json, not " + mime);
}

std::string query_param(const Http::Request& request, const std::string& name) {
  return request.query().get(name).value_or(std::string());
}

// The text member `key` of a small JSON body ({"reason": "..."}), or "".
std::string body_text(const std::string& body, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view value;
  if (body.empty() || parser.parse(body).get(root) != simdjson::SUCCESS || root[key].get(value) != simdjson::SUCCESS)
    return {};
  return std::string(value);
}

}  // namespace

fhir::Result<std::shared_ptr<CdexApi>> CdexApi::create(const CdexOptions& options, const fhir::StoreLocation& location,
                                                       bool allow_plain_http, int max_pages,
                                                       std::shared_ptr<const Destinations> destinations) {
  auto api = std::make_shared<CdexApi>();
  auto store = cdex::open_task_store(location);
  if (!store) return store.error();
  api->store_ = std::move(store).value();
  auto client = optional_token_file(options.client_token_file, "--cdex-client-token-file");
  auto admin = optional_token_file(options.admin_token_file, "--cdex-admin-token-file");
  auto consumer_token = optional_token_file(options.consumer_token_file, "--cdex-consumer-token-file");
  auto ehr_token = optional_token_file(options.ehr_token_file, "--cdex-ehr-token-file");
  for (auto* token : {&client, &admin, &consumer_token, &ehr_token})
    if (!*token) return token->error();
  api->client_token_ = *client;
  api->admin_token_ = *admin;

  if (!options.ehr_fhir.empty()) {
    cdex::DataSourceOptions source;
    source.ehr_base = options.ehr_fhir;
    source.ehr_token = *ehr_token;
    auto map = read_code_map(options.code_map_file);
    if (!map) return map.error();
    source.code_queries = std::move(map).value();
    source.review = options.review == "all"         ? cdex::ReviewPolicy::all
                    : options.review == "untrusted" ? cdex::ReviewPolicy::untrusted
                                                    : cdex::ReviewPolicy::none;
    source.trusted_requesters = options.trusted_requesters;
    source.query_timeout = std::chrono::milliseconds(options.query_timeout_ms);
    source.task_lease = std::chrono::seconds(options.task_lease_seconds);
    source.max_pages = max_pages;
    source.allow_plain_http = allow_plain_http;
    if (auto refused = fhir::check_fhir_server_url(source.ehr_base, allow_plain_http))
      return fhir::Error{500, fhir::IssueType::security, "--cdex-ehr-fhir: " + refused->message, ""};
    if (!options.source_signature_agreements_file.empty()) {
      auto agreements = cdex::SignedReads::from_file(options.source_signature_agreements_file);
      if (!agreements)
        return fhir::Error{500, fhir::IssueType::exception,
                           "--cdex-source-signature-agreements: " + agreements.error().message, ""};
      api->signed_reads_ = std::move(*agreements);
    }
    auto started = cdex::DataSource::start(api->store_, std::move(source));
    if (!started) return started.error();
    api->source_ = std::move(started).value();
    if (api->client_token_.empty())
      spdlog::warn("CDex data source: /fhir/Task takes requests without a token (--cdex-client-token-file)");
  }

  cdex::ConsumerOptions consumer;
  consumer.cadence = {std::chrono::milliseconds(options.poll_first_ms), std::chrono::milliseconds(options.poll_early_ms),
                      std::chrono::milliseconds(options.poll_early_window_ms),
                      std::chrono::milliseconds(options.poll_late_ms)};
  consumer.source_token = *consumer_token;  // the fallback for destinations without a credential
  consumer.token_for = token_lookup(destinations);
  api->destinations_ = std::move(destinations);
  consumer.request_timeout = std::chrono::milliseconds(options.query_timeout_ms);
  consumer.max_pages = max_pages;
  consumer.allow_plain_http = allow_plain_http;
  auto started = cdex::Consumer::start(api->store_, std::move(consumer));
  if (!started) return started.error();
  api->consumer_ = std::move(started).value();
  return api;
}

void CdexApi::stop() {
  if (consumer_) consumer_->stop();
  if (source_) source_->stop();
}

std::vector<Route> CdexApi::routes() const {
  using M = Http::Method;
  using R = const Http::Request&;
  using P = const PathParams&;
  // The FHIR face: the Data Consumers' token (open when none is configured).
  auto task_route = [this](M method, std::string pattern, std::function<ApiAnswer(R, P)> serve) {
    return Route{method, std::move(pattern), AccessPolicy::data_consumer,
                 [this, serve = std::move(serve)](R request, P params) {
                   if (!source_)
                     return problem_answer(404, fhir::IssueType::not_found,
                                           "this crdex is not a CDex data source (--cdex-ehr-fhir)");
                   // A SMART Backend Services access token the gate verified, or the static token.
                   if (params.caller().kind != "access_token")
                     if (auto refused = refuse_unless_authorized(request, client_token_, true)) return *refused;
                   return serve(request, params);
                 },
                 true, {}};
  };
  // Review and the consumer's requests: the CDex admin token.
  auto admin_route = [this](M method, std::string pattern, std::function<ApiAnswer(R, P)> serve) {
    return Route{method, std::move(pattern), AccessPolicy::admin,
                 [this, serve = std::move(serve)](R request, P params) {
                   // An operator with the admin role (the gate checked it), or the CDex admin token.
                   if (params.caller().kind != "operator")
                     if (auto refused = refuse_unless_authorized(request, admin_token_, false)) return *refused;
                   return serve(request, params);
                 },
                 true, {}};
  };
  const std::string task(kTaskPath), review_path(kReviewPath), requests(kRequestsPath);
  return {
      task_route(M::Get, task, [this](R request, P params) { return search_tasks(request, params.caller()); }),
      task_route(M::Post, task, [this](R request, P) { return submit_task(request); }),
      task_route(M::Get, task + "/{id}",
                 [this](R, P params) { return read_task(params.get("id"), params.caller()); }),
      admin_route(M::Get, review_path, [this](R, P) { return waiting_review(); }),
      admin_route(M::Post, review_path + "/{id}/approve",
                  [this](R request, P params) { return review(request, params.get("id"), true); }),
      admin_route(M::Post, review_path + "/{id}/reject",
                  [this](R request, P params) { return review(request, params.get("id"), false); }),
      admin_route(M::Post, requests, [this](R request, P) { return start_request(request); }),
      admin_route(M::Get, requests + "/{id}",
                  [this](R request, P params) { return show_request(request, params.get("id")); }),
  };
}

// The Task search's one parameter: what search_tasks reads is what the
// CapabilityStatement lists.
constexpr std::string_view kTaskStatusParam = "status";

std::vector<ApiModule::SearchParam> CdexApi::search_params(std::string_view pattern) const {
  if (pattern != kTaskPath) return {};
  return {{std::string(kTaskStatusParam), "token", "the Tasks in this status (Task.status); all Tasks without it"}};
}

ApiAnswer CdexApi::search_tasks(const Http::Request& request, const Caller& caller) const {
  auto bundle = source_->search(query_param(request, std::string(kTaskStatusParam)));
  return bundle ? signed_if_agreed(caller, std::move(bundle).value()) : problem_answer(bundle.error());
}

ApiAnswer CdexApi::submit_task(const Http::Request& request) const {
  if (auto refused = refuse_media_type(request)) return *refused;
  auto task = source_->submit(request.body());
  if (!task) return problem_answer(task.error());
  ApiAnswer answer{201, task->document, true, {}};
  answer.headers.emplace_back("Location", "Task/" + task->id);
  return answer;
}

ApiAnswer CdexApi::read_task(const std::string& id, const Caller& caller) const {
  auto task = source_->read(id);
  return task ? signed_if_agreed(caller, std::move(task).value()) : problem_answer(task.error());
}

ApiAnswer CdexApi::signed_if_agreed(const Caller& caller, std::string document) const {
  if (!signed_reads_) return {200, std::move(document), true, {}};
  // A SMART client by its client_id; the static token (or an open endpoint) by its reserved name.
  const std::string consumer =
      caller.kind == "access_token" ? caller.name : std::string(cdex::kStaticTokenConsumer);
  auto answer = signed_reads_->answer(consumer, std::move(document));
  return answer ? ApiAnswer{200, std::move(answer).value(), true, {}} : problem_answer(answer.error());
}

ApiAnswer CdexApi::waiting_review() const {
  if (!source_)
    return problem_answer(404, fhir::IssueType::not_found, "this crdex is not a CDex data source (--cdex-ehr-fhir)");
  auto bundle = source_->search("on-hold");
  return bundle ? ApiAnswer{200, std::move(bundle).value(), true, {}} : problem_answer(bundle.error());
}

ApiAnswer CdexApi::review(const Http::Request& request, const std::string& id, bool approve) const {
  if (!source_)
    return problem_answer(404, fhir::IssueType::not_found, "this crdex is not a CDex data source (--cdex-ehr-fhir)");
  auto moved = approve ? source_->approve(id, body_text(request.body(), "note"))
                       : source_->reject(id, body_text(request.body(), "reason"));
  return moved ? ApiAnswer{200, std::move(moved).value(), true, {}} : problem_answer(moved.error());
}

ApiAnswer CdexApi::start_request(const Http::Request& request) const {
  if (auto refused = refuse_media_type(request)) return *refused;
  auto body = read_consumer_request(request.body());
  if (!body) return problem_answer(body.error());
  // The Data Source is a configured destination: by name, or a URL under one.
  const bool by_url = body->source.find("://") != std::string::npos;
  if (!destinations_)
    return problem_answer(400, fhir::IssueType::security,
                          "the consumer sends Tasks only to configured destinations, and none is configured "
                          "(--destinations)",
                          "source");
  auto chosen = destinations_->choose(by_url ? "" : body->source, by_url ? body->source : "", "source");
  if (!chosen) return problem_answer(chosen.error());
  if (!by_url) body->source = (*chosen)->url;
  auto row = body->follow_task_id.empty() ? consumer_->request(body->source, body->request)
                                          : consumer_->follow(body->source, body->follow_task_id);
  if (!row) return problem_answer(row.error());
  ApiAnswer answer{201, consumer_request_json(*row), false, {}};
  answer.headers.emplace_back("Location", std::string(kRequestsPath) + "/" + row->id);
  return answer;
}

ApiAnswer CdexApi::show_request(const Http::Request& request, const std::string& id) const {
  int wait_ms = 0;
  if (const auto text = query_param(request, "wait-ms"); !text.empty()) {
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), wait_ms);
    if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size() || wait_ms < 0 || wait_ms > 60'000)
      return problem_answer(400, fhir::IssueType::value, "wait-ms must be a number of milliseconds up to 60000");
  }
  auto row = wait_ms > 0 ? consumer_->wait_until_done(id, std::chrono::milliseconds(wait_ms)) : consumer_->get(id);
  if (!row) return problem_answer(row.error());
  if (!*row) return problem_answer(404, fhir::IssueType::not_found, "no request " + id);
  return {200, consumer_request_json(**row), false, {}};
}

}  // namespace crdex::server
