#pragma once
// CDex attachments over HTTP, both roles:
//   payer (receiver)
//     POST /$submit-attachment               validate (400 + OperationOutcome naming the
//                                            parameter), store, answer 200 with an
//                                            informational OperationOutcome (held or attached)
//     GET  /attachments?tracking-id=&member=&claim=   stored submissions (token "system|value")
//     GET  /attachments/{id}                 one submission's summary
//     GET  /attachments/{id}/parameters      the Parameters as received
//     GET  /attachments/{id}/content/{n}     the n-th attachment's resource
//     POST /attachments/claims               the claim / PA with this tracking id has arrived
//   provider (sender)
//     POST /attachments/outbox               send a $submit-attachment: {"payerUrl", "parameters"}
//                                            (unsolicited) or {"attachmentRequest": Task,
//                                            "contents": [resources]} (solicited, to PayerUrl)

#include <memory>

#include "api_module.hpp"
#include "crdex/cdex/attachment_store.hpp"
#include "crdex/cdex/signature_agreements.hpp"
#include "destinations.hpp"

namespace crdex::server {

struct AttachmentsApiOptions {
  bool allow_plain_http = false;  // outgoing $submit-attachment to non-loopback http://
  // Received attachments from these providers must be signed (CDX-13); null: none.
  std::shared_ptr<const cdex::SignatureAgreements> signatures;
  // Where the outbox may send, and with which token (destinations.hpp); null: nowhere.
  std::shared_ptr<const Destinations> destinations;
};

class AttachmentsApi : public ApiModule {
 public:
  AttachmentsApi(std::shared_ptr<cdex::AttachmentStore> store, AttachmentsApiOptions options)
      : store_(std::move(store)), options_(options) {}

  // Store writes, outgoing HTTP: every route runs on a worker.
  std::vector<Route> routes() const override;

 private:
  ApiAnswer receive(const Pistache::Http::Request& request) const;
  ApiAnswer search(const Pistache::Http::Request& request) const;
  enum class Part { summary, parameters, content };
  ApiAnswer read(const std::string& id, Part part, const std::string& sequence) const;
  ApiAnswer register_claim(const Pistache::Http::Request& request) const;
  ApiAnswer send(const Pistache::Http::Request& request) const;

  std::shared_ptr<cdex::AttachmentStore> store_;
  AttachmentsApiOptions options_;
};

}  // namespace crdex::server
