#include "http_front.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <string_view>

#include "crdex/fhir/operation_outcome.hpp"
#include "named_header.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

constexpr std::string_view kServicesPath = "/cds-services";

struct Answer {
  int status = 200;
  std::string body;
  bool fhir_json = false;  // OperationOutcome bodies are application/fhir+json
  std::optional<Http::Method> allow;
  bool close = false;
  std::vector<std::pair<std::string, std::string>> headers;
};

Answer problem(int status, fhir::IssueType type, std::string message) {
  return {status, fhir::operation_outcome_json({status, type, std::move(message), ""}), true, std::nullopt, false, {}};
}

Answer from_engine(hooks::ServiceResponse response) {
  const bool ok = response.status == 200;
  return {response.status, std::move(response.body), !ok, std::nullopt, false, {}};
}

// application/json or application/fhir+json, with any parameters (charset).
bool is_json_media_type(const Http::Request& request) {
  auto header = request.headers().tryGet<Http::Header::ContentType>();
  if (!header) return false;
  std::string media = header->mime().toString();
  if (auto semicolon = media.find(';'); semicolon != std::string::npos) media.resize(semicolon);
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json" || media == "application/fhir+json";
}

Answer method_not_allowed(Http::Method allowed) {
  Answer answer = problem(405, fhir::IssueType::not_supported,
                          std::string("this resource only accepts ") + Http::methodString(allowed));
  answer.allow = allowed;
  return answer;
}

Answer from_module(ApiAnswer a) { return {a.status, std::move(a.body), a.fhir_json, std::nullopt, false, std::move(a.headers)}; }

// CDS Hooks §Trusting CDS Clients: nullopt when the caller may go on. When
// the client's key set must be fetched first and `may_fetch` is false (an
// event thread), sets `pending` so the caller checks again on a worker.
std::optional<Answer> check_client(const Http::Request& request, const FrontState& state, bool may_fetch,
                                   bool& pending) {
  pending = false;
  if (!state.client_auth) return std::nullopt;
  const auto header = request.headers().tryGet<Http::Header::Authorization>();
  const auto outcome =
      state.client_auth->authenticate(header ? header->value() : std::string(), called_url(request, state.called_url),
                                      may_fetch);
  if (outcome.verdict == ClientAuthenticator::Verdict::accepted) return std::nullopt;
  if (outcome.verdict == ClientAuthenticator::Verdict::needs_fetch) {
    pending = true;
    return std::nullopt;
  }
  spdlog::info("{} {}: client authentication failed: {}", Http::methodString(request.method()), request.resource(),
               outcome.error.message);
  Answer answer = problem(401, fhir::IssueType::security, outcome.error.message);
  answer.headers.emplace_back("WWW-Authenticate", header ? R"(Bearer realm="crdex", error="invalid_token")"
                                                         : R"(Bearer realm="crdex")");
  return answer;
}

// Work that may block (a service call that may query the EHR's FHIR server, a
// module that writes to the store) is not run here: it goes to `deferred` and
// a worker runs it with its own copy of the request.
using Deferred = std::function<Answer(const Http::Request&)>;

Answer route(const Http::Request& request, const std::shared_ptr<FrontState>& shared, Deferred& deferred) {
  const FrontState& state = *shared;
  std::string_view path = request.resource();
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);

  if (path == kServicesPath) {
    if (request.method() != Http::Method::Get) return method_not_allowed(Http::Method::Get);
    return {200, state.engine->discovery(), false, std::nullopt, false, {}};
  }
  if (path.starts_with(kServicesPath) && path.size() > kServicesPath.size() + 1 &&
      path[kServicesPath.size()] == '/') {
    const auto service_id = path.substr(kServicesPath.size() + 1);
    if (service_id.find('/') != std::string_view::npos)
      return problem(404, fhir::IssueType::not_found, "no such resource: " + std::string(path));
    if (request.method() != Http::Method::Post) return method_not_allowed(Http::Method::Post);
    bool auth_pending = false;  // the client's key set must be fetched: on a worker
    if (auto refused = check_client(request, state, !state.query_workers, auth_pending)) return *refused;
    if (!is_json_media_type(request))
      return problem(415, fhir::IssueType::not_supported,
                     "send the hook request as application/json (or application/fhir+json)");
    if (request.body().size() > state.max_body_bytes)
      return problem(413, fhir::IssueType::too_costly,
                     "the request body is larger than " + std::to_string(state.max_body_bytes) + " bytes");
    // Only a request with a token can make crdex query the EHR's FHIR server.
    if (auth_pending || (state.query_workers && request.body().find("\"fhirAuthorization\"") != std::string::npos)) {
      deferred = [shared, service = std::string(service_id), auth_pending](const Http::Request& copy) {
        bool again = false;
        if (auth_pending)
          if (auto refused = check_client(copy, *shared, true, again)) return *refused;
        return from_engine(shared->engine->call_service(service, copy.body()));
      };
      return {};
    }
    return from_engine(state.engine->call_service(service_id, request.body()));
  }
  for (const auto& module : state.modules) {
    if (!module->serves(path)) continue;
    if (request.body().size() > state.max_body_bytes)
      return problem(413, fhir::IssueType::too_costly,
                     "the request body is larger than " + std::to_string(state.max_body_bytes) + " bytes");
    if (module->blocking() && state.query_workers) {
      deferred = [module, path = std::string(path)](const Http::Request& copy) {
        return from_module(module->handle(copy, path));
      };
      return {};
    }
    return from_module(module->handle(request, path));
  }
  return problem(404, fhir::IssueType::not_found, "no such resource: " + std::string(path));
}

void send_answer(Http::ResponseWriter& response, const Answer& answer, Http::Method method, const std::string& resource,
                 std::chrono::steady_clock::time_point start, const std::shared_ptr<FrontState>& state) {
  try {
    response.headers().add<Http::Header::ContentType>(
        std::string(answer.fhir_json ? "application/fhir+json" : "application/json"));
    if (answer.allow) response.headers().add<Http::Header::Allow>(*answer.allow);
    for (const auto& [name, value] : answer.headers) response.headers().add(std::make_shared<NamedHeader>(name, value));
    if (answer.close) response.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
    spdlog::info("{} {} {} {}us", Http::methodString(method), resource, answer.status,
                 std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                     .count());
    response.send(static_cast<Http::Code>(answer.status), answer.body)
        .then([state](ssize_t) { state->finished(); }, [state](std::exception_ptr) { state->finished(); });
  } catch (const std::exception& e) {
    spdlog::error("could not answer {} {}: {}", Http::methodString(method), resource, e.what());
    state->finished();
  }
}

}  // namespace

void FrontState::started() {
  std::lock_guard lock(mutex_);
  ++in_flight_;
}

void FrontState::finished() {
  std::lock_guard lock(mutex_);
  if (--in_flight_ == 0) idle_.notify_all();
}

bool FrontState::drain(std::chrono::milliseconds timeout) {
  draining = true;
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return in_flight_ == 0; });
}

void HttpFront::onRequest(const Http::Request& request, Http::ResponseWriter response) {
  const auto start = std::chrono::steady_clock::now();
  state_->started();
  Answer answer;
  Deferred deferred;
  try {
    if (state_->draining) {
      answer = problem(503, fhir::IssueType::transient, "the service is shutting down; retry on another instance");
      answer.close = true;
    } else {
      answer = route(request, state_, deferred);
    }
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", Http::methodString(request.method()), request.resource(), e.what());
    answer = problem(500, fhir::IssueType::exception, "internal error");
  }

  if (deferred) {
    // The work may block: a worker runs it and answers; this event thread
    // goes back to its other connections. The request is copied because
    // Pistache reuses its buffer once onRequest returns.
    auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
    auto task = [state = state_, writer, work = std::move(deferred), copy = request, start] {
      Answer done;
      try {
        done = work(copy);
      } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", Http::methodString(copy.method()), copy.resource(), e.what());
        done = problem(500, fhir::IssueType::exception, "internal error");
      }
      send_answer(*writer, done, copy.method(), copy.resource(), start, state);
    };
    if (state_->query_workers->submit(std::move(task))) return;
    answer = problem(503, fhir::IssueType::transient, "the service is shutting down; retry on another instance");
    answer.close = true;
    send_answer(*writer, answer, request.method(), request.resource(), start, state_);
    return;
  }
  send_answer(response, answer, request.method(), request.resource(), start, state_);
}

}  // namespace crdex::server
