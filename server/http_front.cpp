#include "http_front.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <string_view>

#include "api_helpers.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/hooks/audit_record.hpp"
#include "crdex/hooks/timestamps.hpp"
#include "named_header.hpp"
#include "request_id.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Answer {
  int status = 200;
  std::string body;
  bool fhir_json = false;  // OperationOutcome bodies are application/fhir+json
  bool close = false;
  HeaderList headers;
};

Answer problem(int status, fhir::IssueType type, std::string message) {
  return {status, fhir::operation_outcome_json({status, type, std::move(message), ""}), true, false, {}};
}

ApiAnswer from_engine(hooks::ServiceResponse response) {
  const bool ok = response.status == 200;
  return {response.status, std::move(response.body), !ok, {}};
}

// Calls the service and queues the call for the audit log; the writing
// happens on the log's own thread.
ApiAnswer call_and_record(const FrontState& state, std::string_view service_id, const std::string& body) {
  const int64_t received_ms = hooks::now_epoch_ms();
  const auto started = std::chrono::steady_clock::now();
  auto response = state.engine->call_service(service_id, body);
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  if (state.audit) state.audit->record(hooks::audit_record_of(service_id, body, response, received_ms, took.count()));
  // A 404 means no such service: its id was the caller's, not a label.
  if (state.metrics)
    state.metrics->observe_hook_call(service_id, response.status != 404, response.status, took.count() / 1e6);
  return from_engine(std::move(response));
}

Answer from_module(ApiAnswer a) { return {a.status, std::move(a.body), a.fhir_json, false, std::move(a.headers)}; }

Answer busy(std::string message) {
  Answer answer = problem(503, fhir::IssueType::transient, std::move(message));
  answer.headers.emplace_back("Retry-After", "1");
  return answer;
}

std::optional<std::string> raw_header(const Http::Request& request, const std::string& name) {
  if (auto raw = request.headers().tryGetRaw(name)) return raw->value();
  return std::nullopt;
}

// CORS (Fetch standard): only an Origin on the configured list gets the
// Access-Control-* headers; any other origin gets none, so browsers keep
// their same-origin rule and a page elsewhere cannot read crdex's answers.
HeaderList cors_headers(const Http::Request& request, const FrontState& state, bool& preflight) {
  preflight = false;
  HeaderList headers;
  if (state.cors_origins.empty()) return headers;
  const auto origin = raw_header(request, "Origin");
  if (!origin || std::find(state.cors_origins.begin(), state.cors_origins.end(), *origin) == state.cors_origins.end())
    return headers;
  headers.emplace_back("Access-Control-Allow-Origin", *origin);
  headers.emplace_back("Vary", "Origin");
  if (request.method() == Http::Method::Options && raw_header(request, "Access-Control-Request-Method")) {
    preflight = true;
    headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS");
    headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    headers.emplace_back("Access-Control-Max-Age", "600");
  }
  return headers;
}

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
  if (state.metrics)
    state.metrics->count_credential_failure(access_policy_name(AccessPolicy::cds_client),
                                            credential_failure_reason(outcome.error.message));
  Answer answer = problem(401, fhir::IssueType::security, outcome.error.message);
  answer.headers.emplace_back("WWW-Authenticate", header ? R"(Bearer realm="crdex", error="invalid_token")"
                                                         : R"(Bearer realm="crdex")");
  return answer;
}

// Work that may block (a service call that may query the EHR's FHIR server, a
// module that writes to the store) is not run here: it goes to `deferred` and
// a worker runs it with its own copy of the request.
using Deferred = std::function<Answer(const Http::Request&)>;

// `matched` is set to the route that answers (null: the table's 404/405).
Answer route(const Http::Request& request, const std::shared_ptr<FrontState>& shared, Deferred& deferred,
             const Route*& matched) {
  const FrontState& state = *shared;
  std::string_view path = request.resource();
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);

  auto match = state.routes.match(request.method(), path);
  if (!match.route) return from_module(std::move(match.refusal));
  const Route& found = *match.route;
  matched = &found;
  if (request.body().size() > state.max_body_bytes)
    return problem(413, fhir::IssueType::too_costly,
                   "the request body is larger than " + std::to_string(state.max_body_bytes) + " bytes");
  // The CDS Hooks JWT is the front end's to check; the other policies'
  // credentials are checked by their handlers.
  bool auth_pending = false;  // the client's key set must be fetched: on a worker
  if (found.policy == AccessPolicy::cds_client)
    if (auto refused = check_client(request, state, !state.query_workers, auth_pending)) return *refused;
  const bool on_worker =
      state.query_workers && (auth_pending || found.blocking || (found.blocking_when && found.blocking_when(request)));
  if (on_worker) {
    deferred = [shared, route = &found, params = std::move(match.params), auth_pending](const Http::Request& copy) {
      bool again = false;
      if (auth_pending)
        if (auto refused = check_client(copy, *shared, true, again)) return *refused;
      return from_module(route->handler(copy, params));
    };
    return {};
  }
  return from_module(found.handler(request, match.params));
}

// Counts the answer: by route, and as a refused credential when a route
// with a credential policy (other than the CDS client JWT, counted by
// check_client with its reason) answers 401 or 403.
void count_answer(const FrontState& state, const Route* route, Http::Method method, int status,
                  std::chrono::steady_clock::time_point start) {
  if (!state.metrics) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.metrics->observe_answer(route ? std::string_view(route->pattern) : std::string_view(),
                                Http::methodString(method), status, seconds);
  if (route && (status == 401 || status == 403) && route->policy != AccessPolicy::public_access &&
      route->policy != AccessPolicy::cds_client)
    state.metrics->count_credential_failure(access_policy_name(route->policy), status == 401 ? "refused" : "forbidden");
}

bool has_content_type(const HeaderList& headers) {
  return std::any_of(headers.begin(), headers.end(), [](const auto& header) {
    return header.first.size() == 12 && std::equal(header.first.begin(), header.first.end(), "content-type",
                                                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  });
}

void send_answer(Http::ResponseWriter& response, Answer answer, Http::Method method, const std::string& resource,
                 std::chrono::steady_clock::time_point start, const std::shared_ptr<FrontState>& state,
                 const HeaderList& cors, const Route* route = nullptr) {
  answer.headers.insert(answer.headers.end(), cors.begin(), cors.end());
  count_answer(*state, route, method, answer.status, start);
  try {
    // A module may name its own media type (the metrics text); else JSON.
    if (!has_content_type(answer.headers))
      response.headers().add<Http::Header::ContentType>(
          std::string(answer.fhir_json ? "application/fhir+json" : "application/json"));
    for (const auto& [name, value] : answer.headers) response.headers().add(std::make_shared<NamedHeader>(name, value));
    if (answer.close) response.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
    std::string_view request_id = "-";
    for (const auto& [name, value] : answer.headers)
      if (name == kRequestIdHeader) request_id = value;
    spdlog::info("[{}] {} {} {} {}us", request_id, Http::methodString(method), resource, answer.status,
                 std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                     .count());
    response.send(static_cast<Http::Code>(answer.status), answer.body)
        .then([state](ssize_t) { state->finished(); }, [state](std::exception_ptr) { state->finished(); });
  } catch (const std::exception& e) {
    spdlog::error("could not answer {} {}: {}", Http::methodString(method), resource, e.what());
    state->finished();
  } catch (...) {
    spdlog::error("could not answer {} {}: unknown exception", Http::methodString(method), resource);
    state->finished();
  }
}

}  // namespace

bool FrontState::build_routes() {
  auto services = std::vector<Route>{
      Route{Http::Method::Get, "/cds-services", AccessPolicy::public_access,
            [this](const Http::Request&, const PathParams&) { return ApiAnswer{200, engine->discovery(), false, {}}; },
            false, {}},
      Route{Http::Method::Post, "/cds-services/{id}", AccessPolicy::cds_client,
            [this](const Http::Request& request, const PathParams& params) {
              if (!has_json_body(request))
                return problem_answer(415, fhir::IssueType::not_supported,
                                      "send the hook request as application/json (or application/fhir+json)");
              return call_and_record(*this, params.get("id"), request.body());
            },
            false,
            // Only a request with a token can make crdex query the EHR's FHIR server.
            [](const Http::Request& request) {
              return request.body().find("\"fhirAuthorization\"") != std::string::npos;
            }},
  };
  for (auto& route : services)
    if (!routes.add(std::move(route))) return false;
  for (const auto& module : modules)
    for (auto& route : module->routes())
      if (!routes.add(std::move(route))) return false;
  return true;
}

int FrontState::started() {
  std::lock_guard lock(mutex_);
  return ++in_flight_;
}

int FrontState::in_flight() {
  std::lock_guard lock(mutex_);
  return in_flight_;
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
  const int in_flight = state_->started();
  Answer answer;
  Deferred deferred;
  HeaderList cors;
  const Route* matched = nullptr;
  // Nothing a handler throws reaches Pistache (whose 500 would carry the
  // exception text): the client gets a generic OperationOutcome, the log the details.
  try {
    bool preflight = false;
    cors = cors_headers(request, *state_, preflight);
    if (state_->draining) {
      answer = busy("the service is shutting down; retry on another instance");
      answer.close = true;
    } else if (in_flight > state_->max_in_flight) {
      answer = busy("the service is at its limit of calls in flight; retry shortly");
    } else if (preflight) {
      answer = {204, "", false, false, {}};
    } else {
      answer = route(request, state_, deferred, matched);
    }
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", Http::methodString(request.method()), request.resource(), e.what());
    answer = problem(500, fhir::IssueType::exception, "internal error");
  } catch (...) {
    spdlog::error("{} {}: unknown exception", Http::methodString(request.method()), request.resource());
    answer = problem(500, fhir::IssueType::exception, "internal error");
  }

  // Every answer, refusals included, carries the request id.
  cors.emplace_back(std::string(kRequestIdHeader), request_id_of(request));

  if (deferred) {
    // The work may block: a worker runs it and answers; this event thread
    // goes back to its other connections. The request is copied because
    // Pistache reuses its buffer once onRequest returns.
    auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
    auto task = [state = state_, writer, work = std::move(deferred), copy = request, start, cors, matched] {
      Answer done;
      try {
        done = work(copy);
      } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", Http::methodString(copy.method()), copy.resource(), e.what());
        done = problem(500, fhir::IssueType::exception, "internal error");
      } catch (...) {
        spdlog::error("{} {}: unknown exception", Http::methodString(copy.method()), copy.resource());
        done = problem(500, fhir::IssueType::exception, "internal error");
      }
      send_answer(*writer, std::move(done), copy.method(), copy.resource(), start, state, cors, matched);
    };
    switch (state_->query_workers->submit(std::move(task))) {
      case WorkerPool::Submitted::accepted:
        return;
      case WorkerPool::Submitted::full:
        spdlog::warn("{} {}: every query worker is busy and the queue is full", Http::methodString(request.method()),
                     request.resource());
        answer = busy("the service is at its limit of queued calls; retry shortly");
        break;
      case WorkerPool::Submitted::stopping:
        answer = busy("the service is shutting down; retry on another instance");
        answer.close = true;
        break;
    }
    send_answer(*writer, std::move(answer), request.method(), request.resource(), start, state_, cors, matched);
    return;
  }
  send_answer(response, std::move(answer), request.method(), request.resource(), start, state_, cors, matched);
}

}  // namespace crdex::server
