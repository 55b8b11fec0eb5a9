#include "cdex_api.hpp"

#include "api_helpers.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/operation_outcome.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;
namespace fc = fhir::cdex;

namespace {

constexpr std::string_view kTaskPath = "/fhir/Task";
constexpr std::string_view kReviewPath = "/cdex/review";
constexpr std::string_view kRequestsPath = "/cdex/requests";

ApiAnswer method_not_allowed(std::string_view allowed) {
  ApiAnswer answer = problem_answer(405, fhir::IssueType::not_supported, "this resource only accepts " + std::string(allowed));
  answer.headers.emplace_back("Allow", std::string(allowed));
  return answer;
}

fhir::Result<std::string> read_token_file(const std::string& file, const char* option) {
  if (file.empty()) return std::string();
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token)) return fhir::Error{500, fhir::IssueType::exception, std::string(option) + " " + file + ": cannot read the token", ""};
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.size() < 16)
    return fhir::Error{500, fhir::IssueType::exception, std::string(option) + " " + file + ": a token needs at least 16 characters", ""};
  return token;
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
  auto header = request.headers().tryGet<Http::Header::Authorization>();
  if (!header) return false;
  const std::string value = header->value();
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() != kScheme.size() + expected.size() || !value.starts_with(kScheme)) return false;
  return CRYPTO_memcmp(value.data() + kScheme.size(), expected.data(), expected.size()) == 0;
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

fhir::Result<std::shared_ptr<CdexApi>> CdexApi::create(const CdexOptions& options, const std::filesystem::path& data_dir,
                                                       bool allow_plain_http, int max_pages) {
  auto api = std::make_shared<CdexApi>();
  auto store = hooks::cdex::TaskStore::open(data_dir / "cdex.sqlite");
  if (!store) return store.error();
  api->store_ = std::move(store).value();
  auto client = read_token_file(options.client_token_file, "--cdex-client-token-file");
  auto admin = read_token_file(options.admin_token_file, "--cdex-admin-token-file");
  auto consumer_token = read_token_file(options.consumer_token_file, "--cdex-consumer-token-file");
  auto ehr_token = read_token_file(options.ehr_token_file, "--cdex-ehr-token-file");
  for (auto* token : {&client, &admin, &consumer_token, &ehr_token})
    if (!*token) return token->error();
  api->client_token_ = *client;
  api->admin_token_ = *admin;

  if (!options.ehr_fhir.empty()) {
    hooks::cdex::DataSourceOptions source;
    source.ehr_base = options.ehr_fhir;
    source.ehr_token = *ehr_token;
    auto map = read_code_map(options.code_map_file);
    if (!map) return map.error();
    source.code_queries = std::move(map).value();
    source.review = options.review == "all"         ? hooks::cdex::ReviewPolicy::all
                    : options.review == "untrusted" ? hooks::cdex::ReviewPolicy::untrusted
                                                    : hooks::cdex::ReviewPolicy::none;
    source.trusted_requesters = options.trusted_requesters;
    source.query_timeout = std::chrono::milliseconds(options.query_timeout_ms);
    source.max_pages = max_pages;
    source.allow_plain_http = allow_plain_http;
    if (auto refused = fhir::check_fhir_server_url(source.ehr_base, allow_plain_http))
      return fhir::Error{500, fhir::IssueType::security, "--cdex-ehr-fhir: " + refused->message, ""};
    auto started = hooks::cdex::DataSource::start(api->store_, std::move(source));
    if (!started) return started.error();
    api->source_ = std::move(started).value();
    if (api->client_token_.empty())
      spdlog::warn("CDex data source: /fhir/Task takes requests without a token (--cdex-client-token-file)");
  }

  hooks::cdex::ConsumerOptions consumer;
  consumer.cadence = {std::chrono::milliseconds(options.poll_first_ms), std::chrono::milliseconds(options.poll_early_ms),
                      std::chrono::milliseconds(options.poll_early_window_ms),
                      std::chrono::milliseconds(options.poll_late_ms)};
  consumer.source_token = *consumer_token;
  consumer.request_timeout = std::chrono::milliseconds(options.query_timeout_ms);
  consumer.max_pages = max_pages;
  consumer.allow_plain_http = allow_plain_http;
  auto started = hooks::cdex::Consumer::start(api->store_, std::move(consumer));
  if (!started) return started.error();
  api->consumer_ = std::move(started).value();
  return api;
}

void CdexApi::stop() {
  if (consumer_) consumer_->stop();
  if (source_) source_->stop();
}

bool CdexApi::serves(std::string_view path) const {
  auto under = [&](std::string_view prefix) {
    return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/');
  };
  return under(kTaskPath) || under(kReviewPath) || under(kRequestsPath);
}

ApiAnswer CdexApi::handle(const Http::Request& request, std::string_view path) const {
  if (path.starts_with(kTaskPath)) return fhir_task(request, path);
  if (auto refused = refuse_unless_authorized(request, admin_token_, false)) return *refused;
  if (path.starts_with(kReviewPath)) return review(request, path);
  return consumer(request, path);
}

ApiAnswer CdexApi::fhir_task(const Http::Request& request, std::string_view path) const {
  if (!source_)
    return problem_answer(404, fhir::IssueType::not_found, "this crdex is not a CDex data source (--cdex-ehr-fhir)");
  if (auto refused = refuse_unless_authorized(request, client_token_, true)) return *refused;
  if (path == kTaskPath) {
    if (request.method() == Http::Method::Get) {
      auto bundle = source_->search(query_param(request, "status"));
      return bundle ? ApiAnswer{200, std::move(bundle).value(), true, {}} : problem_answer(bundle.error());
    }
    if (request.method() != Http::Method::Post) return method_not_allowed("GET, POST");
    if (auto refused = refuse_media_type(request)) return *refused;
    auto task = source_->submit(request.body());
    if (!task) return problem_answer(task.error());
    ApiAnswer answer{201, task->document, true, {}};
    answer.headers.emplace_back("Location", "Task/" + task->id);
    return answer;
  }
  const std::string id(path.substr(kTaskPath.size() + 1));
  if (request.method() != Http::Method::Get) return method_not_allowed("GET");
  auto task = source_->read(id);
  return task ? ApiAnswer{200, std::move(task).value(), true, {}} : problem_answer(task.error());
}

ApiAnswer CdexApi::review(const Http::Request& request, std::string_view path) const {
  if (!source_)
    return problem_answer(404, fhir::IssueType::not_found, "this crdex is not a CDex data source (--cdex-ehr-fhir)");
  if (path == kReviewPath) {
    if (request.method() != Http::Method::Get) return method_not_allowed("GET");
    auto bundle = source_->search("on-hold");
    return bundle ? ApiAnswer{200, std::move(bundle).value(), true, {}} : problem_answer(bundle.error());
  }
  // /cdex/review/{id}/approve | reject
  std::string_view rest = path.substr(kReviewPath.size() + 1);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return problem_answer(404, fhir::IssueType::not_found, "POST .../{id}/approve or .../{id}/reject");
  const std::string id(rest.substr(0, slash));
  const auto action = rest.substr(slash + 1);
  if (action != "approve" && action != "reject") return problem_answer(404, fhir::IssueType::not_found, "no such action");
  if (request.method() != Http::Method::Post) return method_not_allowed("POST");
  auto moved = action == "approve" ? source_->approve(id, body_text(request.body(), "note"))
                                   : source_->reject(id, body_text(request.body(), "reason"));
  return moved ? ApiAnswer{200, std::move(moved).value(), true, {}} : problem_answer(moved.error());
}

ApiAnswer CdexApi::consumer(const Http::Request& request, std::string_view path) const {
  if (path == kRequestsPath) {
    if (request.method() != Http::Method::Post) return method_not_allowed("POST");
    if (auto refused = refuse_media_type(request)) return *refused;
    auto body = read_consumer_request(request.body());
    if (!body) return problem_answer(body.error());
    auto row = body->follow_task_id.empty() ? consumer_->request(body->source, body->request)
                                            : consumer_->follow(body->source, body->follow_task_id);
    if (!row) return problem_answer(row.error());
    ApiAnswer answer{201, consumer_request_json(*row), false, {}};
    answer.headers.emplace_back("Location", std::string(kRequestsPath) + "/" + row->id);
    return answer;
  }
  if (request.method() != Http::Method::Get) return method_not_allowed("GET");
  const std::string id(path.substr(kRequestsPath.size() + 1));
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
