#pragma once
// What the HTTP front writes back for one request: status, body, headers,
// whether the connection closes, and what the audit and the jti ledger need
// to know about it. Built by the checks (front_checks.hpp), the routes and
// the handlers; written by send_answer (answer_sending.hpp).

#include <string>
#include <utility>
#include <vector>

#include "api_answer.hpp"
#include "crdex/fhir/operation_outcome.hpp"

namespace crdex::server {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Answer {
  int status = 200;
  std::string body;
  bool fhir_json = false;  // OperationOutcome bodies are application/fhir+json
  bool close = false;
  HeaderList headers;
  std::string who;  // a refusal: the credential presented (never the token), for the audit
  bool audit_busy = false;  // refused because the audit queue is at its high-water mark: not queued for it
  // A CDS client JWT accepted for this call: its jti stays held in the replay
  // ledger until the answer is sent (smart::JtiLedger::settle).
  std::string held_issuer, held_jti;
};

inline Answer problem(int status, fhir::IssueType type, std::string message) {
  return {status, fhir::operation_outcome_json({status, type, std::move(message), ""}), true, false, {}, {}, false, {}, {}};
}

// An OperationOutcome answer that asks the client to retry in a second.
inline Answer busy(std::string message) {
  Answer answer = problem(503, fhir::IssueType::transient, std::move(message));
  answer.headers.emplace_back("Retry-After", "1");
  return answer;
}

inline Answer from_module(ApiAnswer a) {
  return {a.status, std::move(a.body), a.fhir_json, false, std::move(a.headers), {}, false, {}, {}};
}

}  // namespace crdex::server
