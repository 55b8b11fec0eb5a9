#include "answer_sending.hpp"

#include <pistache/peer.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include "crdex/fhir/json_writer.hpp"
#include "crdex/hooks/audit_record.hpp"
#include "crdex/hooks/timestamps.hpp"
#include "log_format.hpp"
#include "named_header.hpp"
#include "request_id.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

// Refusals go to the audit log too (status, reason, who, method and path; no
// body), so an operator sees a brute force or a misconfigured EHR.
bool is_audited_refusal(int status) {
  return status == 401 || status == 403 || status == 413 || status == 415 || status == 429 || status == 503;
}

hooks::AuditRecord refusal_record(Http::Method method, const std::string& resource, const Answer& answer,
                                  int64_t duration_us) {
  hooks::AuditRecord record;
  record.service_id = std::string(Http::methodString(method)) + " " + resource;
  record.received_ms = hooks::now_epoch_ms();
  record.duration_us = duration_us;
  record.status = answer.status;
  record.request_id = current_request_id();
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "refused");
  fhir::write_string(w, record.service_id);
  fhir::write_key(w, "status");
  w.Int(answer.status);
  fhir::write_optional_string(w, "who", answer.who);
  if (answer.fhir_json && !answer.body.empty()) {
    fhir::write_key(w, "outcome");
    w.RawValue(answer.body.data(), answer.body.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  record.response_body.assign(buffer.GetString(), buffer.GetSize());
  return record;
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

}  // namespace

void send_answer(Http::ResponseWriter& response, Answer answer, Http::Method method, const std::string& resource,
                 std::chrono::steady_clock::time_point start, const std::shared_ptr<FrontState>& state,
                 const HeaderList& cors, const Route* route) {
  answer.headers.insert(answer.headers.end(), cors.begin(), cors.end());
  count_answer(*state, route, method, answer.status, start);
  // Once the answer is written: a replica that dies before then has not
  // answered, nginx retries the call elsewhere, and the jti, still held by
  // the dead replica, is taken over there. (Dying between the write and
  // this leaves the jti held by a dead replica: a replay of that one token
  // would then be accepted once; the other order would refuse the retry of
  // a call whose answer never left.)
  auto settle = [state, issuer = answer.held_issuer, jti = answer.held_jti,
                 answered = answer.status != 429 && answer.status != 503] {
    if (!jti.empty() && state->client_auth) state->client_auth->settle(issuer, jti, answered);
  };
  try {
    // A module may name its own media type (the console's files, the metrics text); else JSON.
    if (!has_content_type(answer.headers))
      response.headers().add<Http::Header::ContentType>(
          std::string(answer.fhir_json ? "application/fhir+json" : "application/json"));
    for (const auto& [name, value] : answer.headers) response.headers().add(std::make_shared<NamedHeader>(name, value));
    // An answer that closes says so, then ends the sending side once written;
    // what the client still sends is read and dropped until it hangs up.
    std::shared_ptr<Pistache::Tcp::Peer> hang_up;
    if (answer.close) {
      response.headers().remove<Http::Header::Connection>();
      response.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
      hang_up = response.peer();
    }
    const auto took =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    log_answer(Http::methodString(method), resource, answer.status, took);
    if (state->audit && is_audited_refusal(answer.status) && !answer.audit_busy)
      state->audit->record(refusal_record(method, resource, answer, took));
    response.send(static_cast<Http::Code>(answer.status), answer.body)
        .then(
            [state, hang_up, settle](ssize_t) {
              settle();
              if (hang_up) ::shutdown(hang_up->fd(), SHUT_WR);
              state->finished();
            },
            [state, settle](std::exception_ptr) {
              settle();
              state->finished();
            });
  } catch (const std::exception& e) {
    spdlog::error("could not answer {} {}: {}", Http::methodString(method), resource, e.what());
    settle();
    state->finished();
  } catch (...) {
    spdlog::error("could not answer {} {}: unknown exception", Http::methodString(method), resource);
    settle();
    state->finished();
  }
}

}  // namespace crdex::server
