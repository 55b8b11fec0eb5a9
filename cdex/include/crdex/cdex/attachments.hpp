#pragma once
// CDex attachments, both roles, as the faces call them (the server's
// /attachments endpoints; docs/cdex.md):
//   payer     receive a $submit-attachment (validated, stored, held or attached)
//             and register a claim / prior authorization that held ones attach to;
//   provider  send a $submit-attachment: Parameters as given (unsolicited) or
//             the answer to a payer's attachment-request Task (solicited, to its
//             PayerUrl), checked before it leaves.
// Errors name the field (expression) and carry the HTTP status to answer with.

#include <functional>
#include <string>
#include <string_view>

#include "crdex/cdex/attachment_store.hpp"
#include "crdex/cdex/signature_agreements.hpp"
#include "crdex/fhir/result.hpp"

namespace crdex::cdex {

// The stored submission and the informational message that reports it.
struct ReceivedAttachment {
  StoredSubmission stored;
  std::string message;
};
// A $submit-attachment Parameters: 400 naming the parameter when invalid, or
// when `signatures` requires its sender to sign and a signature is missing or
// does not verify (CDX-13; nothing is stored); 500 (message safe to show;
// `store_problem` says why) when it cannot be stored.
fhir::Result<ReceivedAttachment> receive_attachment(AttachmentStore& store, std::string_view parameters_json,
                                                    std::string* store_problem = nullptr,
                                                    const SignatureAgreements* signatures = nullptr);

// {"trackingId": {system, value}, "claimId": {...}, "attachTo": "claim" | "preauthorization"}:
// how many held submissions the claim attached.
fhir::Result<int> register_claim(AttachmentStore& store, std::string_view body_json);

struct SentAttachment {
  std::string payer_url;
  std::string parameters;  // what was sent
  long payer_status = 0;
  std::string payer_answer;  // the payer's body as received
};
// Where an outgoing attachment may go, decided by the face (crdex-server: its
// configured destinations, never a URL only the request names): given the
// destination name the body gives ("payer", or ""), the payer URL it names
// ("payerUrl", or the solicited Task's; or "") and its "accessToken" (or ""),
// the URL to POST to and the bearer token to send; an Error refuses.
struct OutboxTarget {
  std::string url;
  std::string token;
};
using OutboxRoute = std::function<fhir::Result<OutboxTarget>(std::string_view payer_name, std::string_view payer_url,
                                                             std::string_view body_token)>;

// {"payer" | "payerUrl", "parameters", "accessToken"?} or {"attachmentRequest":
// Task, "contents": [resources], "accessToken"?}: builds, checks, asks `route`
// where to, and sends.
fhir::Result<SentAttachment> send_attachment(std::string_view body_json, bool allow_plain_http,
                                             const OutboxRoute& route);

}  // namespace crdex::cdex
