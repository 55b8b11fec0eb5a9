#pragma once
// Solicited attachments (CDex cdex-task-attachment-request): the payer's Task
// that asks a provider for attachments and says where to send them
// (input PayerUrl). The payer side builds it; the provider side reads it and
// answers with `$submit-attachment` at PayerUrl, echoing the Task's tracking
// id. The Task workflow (POSTing, states, polling) is not here: this is only
// the Task's content on the attachments side.

#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/submit_attachment.hpp"

namespace crdex::fhir {

struct AttachmentRequest {
  IdentifierValue tracking_id;         // Task.identifier:tracking-id
  std::string payer_url;               // input PayerUrl: where $submit-attachment goes
  std::string attach_to;               // reasonCode use: "claim" | "preauthorization"
  IdentifierValue claim_id;            // reasonReference.identifier (the claim / PA)
  IdentifierValue payer_id;            // requester.identifier
  IdentifierValue member_id;           // the contained #patient's member identifier
  IdentifierValue provider_id;         // the contained #practitionerrole's practitioner NPI
  IdentifierValue organization_id;     // the contained #practitionerrole's organization NPI
  std::string service_date;            // input service-date
  std::string due_date;                // restriction.period.end
  std::vector<std::string> loinc_codes;  // inputs AttachmentsNeeded (LOINC attachment codes)
  std::string patient_json;            // the contained Patient (demographics), for building
  std::string code = "attachment-request-code";  // or attachment-request-questionnaire
};

// The cdex-task-attachment-request Task (status requested, intent order,
// contained #patient and #practitionerrole) for `request`.
std::string attachment_request_task_json(const AttachmentRequest& request, const std::string& authored_on);

// Reads an attachment-request Task; 400 naming the element when something
// the answer needs (tracking id, PayerUrl, member, reason) is missing.
Result<AttachmentRequest> parse_attachment_request(std::string_view task_json);

// The $submit-attachment that answers `request` with `contents` (one
// Attachment per resource, Code from the requested LOINC codes in order).
SubmitAttachment answer_attachment_request(const AttachmentRequest& request, const std::vector<std::string>& contents);

}  // namespace crdex::fhir
