#include "http_front.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <optional>
#include <string_view>

#include "answer_sending.hpp"
#include "api_helpers.hpp"
#include "fhir_server_allowlist.hpp"
#include "front_answer.hpp"
#include "front_checks.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/hooks/audit_record.hpp"
#include "crdex/hooks/timestamps.hpp"
#include "request_size_gate.hpp"
#include "request_id.hpp"
#include "request_log_context.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

ApiAnswer from_engine(hooks::ServiceResponse response) {
  const bool ok = response.status == 200;
  return {response.status, std::move(response.body), !ok, {}};
}

// Calls the service and queues the call for the audit log; the writing
// happens on the log's own thread. With `may_query` false (an event thread),
// nullopt when the call would query the EHR: nothing was recorded, and the
// caller runs it again on a worker.
std::optional<ApiAnswer> call_and_record(const FrontState& state, std::string_view service_id,
                                         const std::string& body, bool may_query) {
  const int64_t received_ms = hooks::now_epoch_ms();
  const auto started = std::chrono::steady_clock::now();
  RequestLogFields* log_fields = current_request_log_fields();
  if (log_fields) log_fields->service = service_id;
  auto response = state.engine->call_service(service_id, body, current_request_id(), may_query);
  if (response.needs_query) return std::nullopt;
  if (log_fields) log_fields->payer = response.payer_id;
  if (state.audit) {
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    // A compact record is hashed here, on the request thread: the writer
    // thread only inserts rows, and the queue holds no bodies.
    auto record = hooks::audit_record_of(service_id, body, response, received_ms, took.count(), state.audit_bodies);
    record.request_id = current_request_id();
    state.audit->record(std::move(record));
  }
  // A 404 means no such service: its id was the caller's, not a label.
  if (state.metrics)
    state.metrics->observe_hook_call(service_id, response.status != 404, response.status,
                                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return from_engine(std::move(response));
}

// POST /cds-services/{id}; nullopt as call_and_record.
std::optional<ApiAnswer> answer_hook_call(const FrontState& state, const Http::Request& request,
                                          const PathParams& params, bool may_query) {
  if (!has_json_body(request))
    return problem_answer(415, fhir::IssueType::not_supported,
                          "send the hook request as application/json (or application/fhir+json)");
  // The client may send crdex only to its own FHIR servers (fhir_server_allowlist.hpp).
  if (const auto* client = state.client_auth && params.caller().kind == "cds_client"
                               ? state.client_auth->registry().find(params.caller().name)
                               : nullptr)
    if (auto refused = refuse_unlisted_fhir_server(*client, request.body())) return *refused;
  return call_and_record(state, params.get("id"), request.body(), may_query);
}

// Over a size limit (request_size_gate.hpp): the body was not read, so the
// connection cannot carry another request; it is closed after the answer.
Answer too_large(OverLimit what, const FrontState& state) {
  Answer answer = what == OverLimit::headers
                      ? problem(431, fhir::IssueType::too_costly,
                                "the request line and headers are larger than " +
                                    std::to_string(state.max_body_bytes + state.max_header_bytes) + " bytes")
                      : problem(413, fhir::IssueType::too_costly,
                                "the request body is larger than " + std::to_string(state.max_body_bytes) + " bytes");
  answer.close = true;
  return answer;
}

// Work that may block (a service call that may query the EHR's FHIR server, a
// module that writes to the store) is not run here: it goes to `deferred` and
// a worker runs it with its own copy of the request.
using Deferred = std::function<Answer(const Http::Request&)>;

// `matched` is set to the route that answers (null: the table's 404/405).
// The route's answer is built in place so that a jti accepted on the way
// stays on it (held_issuer, held_jti), whatever answers.
Answer route_to(const Http::Request& request, const std::shared_ptr<FrontState>& shared, Deferred& deferred,
                const Route*& matched, Answer& held);

Answer route(const Http::Request& request, const std::shared_ptr<FrontState>& shared, Deferred& deferred,
             const Route*& matched) {
  Answer held;
  Answer answer = route_to(request, shared, deferred, matched, held);
  answer.held_issuer = std::move(held.held_issuer);
  answer.held_jti = std::move(held.held_jti);
  return answer;
}

Answer route_to(const Http::Request& request, const std::shared_ptr<FrontState>& shared, Deferred& deferred,
                const Route*& matched, Answer& held) {
  const FrontState& state = *shared;
  std::string_view path = request.resource();
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);

  auto match = state.routes.match(request.method(), path);
  if (!match.route) return from_module(std::move(match.refusal));
  const Route& found = *match.route;
  matched = &found;
  // Back-pressure (audit_log.hpp): a hook call the audit log could not take
  // is refused before any work, so every call answered is audited.
  if (state.audit && request.method() == Http::Method::Post && found.pattern == "/cds-services/{id}" &&
      !state.audit->admit()) {
    Answer answer = busy("the audit log is behind; retry shortly");
    answer.audit_busy = true;
    return answer;
  }
  if (request.body().size() > state.max_body_bytes)
    return problem(413, fhir::IssueType::too_costly,
                   "the request body is larger than " + std::to_string(state.max_body_bytes) + " bytes");
  // Every policy is enforced here, before the handler: the CDS Hooks JWT by
  // the client authenticator, the others by the access gate.
  bool gate_pending = false;  // an authorization server's key set must be fetched: on a worker
  std::string caller_key;      // who authenticated, for the rate limit
  if (auto refused = check_gate(request, found, state, !state.query_workers, gate_pending, match.params, caller_key))
    return *refused;
  bool auth_pending = false;  // the client's key set must be fetched: on a worker
  if (found.policy == AccessPolicy::cds_client)
    if (auto refused =
            check_client(request, state, !state.query_workers, auth_pending, caller_key, match.params, held))
      return *refused;
  if (auto limited = check_rate(state, caller_key)) return *limited;
  bool on_worker = state.query_workers && (auth_pending || gate_pending || found.blocking);
  if (state.query_workers && !on_worker && found.try_without_blocking) {
    if (auto answer = found.try_without_blocking(request, match.params)) return from_module(std::move(*answer));
    on_worker = true;
  }
  if (on_worker) {
    deferred = [shared, route = &found, params = std::move(match.params), auth_pending, gate_pending,
                held_before = held](const Http::Request& copy) mutable {
      bool again = false;
      std::string key;
      Answer held_now = held_before;
      auto holding = [&held_now](Answer answer) {
        answer.held_issuer = held_now.held_issuer;
        answer.held_jti = held_now.held_jti;
        return answer;
      };
      if (gate_pending)
        if (auto refused = check_gate(copy, *route, *shared, true, again, params, key)) return holding(*refused);
      if (auth_pending)
        if (auto refused = check_client(copy, *shared, true, again, key, params, held_now)) return holding(*refused);
      if (auto limited = check_rate(*shared, key)) return holding(*limited);
      return holding(from_module(route->handler(copy, params)));
    };
    return {};
  }
  return from_module(found.handler(request, match.params));
}

}  // namespace

bool FrontState::build_routes() {
  auto services = std::vector<Route>{
      Route{Http::Method::Get, "/cds-services", AccessPolicy::public_access,
            [this](const Http::Request&, const PathParams&) { return ApiAnswer{200, engine->discovery(), false, {}}; },
            false, {}},
      Route{Http::Method::Post, "/cds-services/{id}", AccessPolicy::cds_client,
            [this](const Http::Request& request, const PathParams& params) {
              return answer_hook_call(*this, request, params, true).value();
            },
            false,
            // Only a call that must query the EHR's FHIR server goes to a worker.
            [this](const Http::Request& request, const PathParams& params) {
              return answer_hook_call(*this, request, params, false);
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

void HttpFront::onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  install_size_gate(peer, {state_->max_body_bytes, state_->max_header_bytes});
}

void HttpFront::onRequest(const Http::Request& request, Http::ResponseWriter response) {
  const auto start = std::chrono::steady_clock::now();
  // Every log line of this request, on this thread, carries its id.
  const std::string request_id = request_id_of(request);
  const RequestLogScope log_scope(request_id);
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
    if (const OverLimit over = request_over_limit(response); over != OverLimit::none) {
      answer = too_large(over, *state_);
    } else if (state_->draining) {
      answer = busy("the service is shutting down; retry on another instance");
      answer.close = true;
    } else if (in_flight > state_->max_in_flight) {
      answer = busy("the service is at its limit of calls in flight; retry shortly");
    } else if (preflight) {
      answer = {204, "", false, false, {}, {}, false, {}, {}};
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
  cors.emplace_back(std::string(kRequestIdHeader), request_id);

  if (deferred) {
    // The work may block: a worker runs it and answers; this event thread
    // goes back to its other connections. The request is copied because
    // Pistache reuses its buffer once onRequest returns.
    auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
    auto task = [state = state_, writer, work = std::move(deferred), copy = request, start, cors, matched,
                 request_id] {
      const RequestLogScope worker_log_scope(request_id);
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
    // Refused below without work: the jti accepted on the way is released.
    std::string held_issuer = answer.held_issuer, held_jti = answer.held_jti;
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
    answer.held_issuer = std::move(held_issuer);
    answer.held_jti = std::move(held_jti);
    send_answer(*writer, std::move(answer), request.method(), request.resource(), start, state_, cors, matched);
    return;
  }
  send_answer(response, std::move(answer), request.method(), request.resource(), start, state_, cors, matched);
}

}  // namespace crdex::server
