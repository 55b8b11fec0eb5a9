#pragma once
// CDex attachments: the Parameters of `$submit-attachment`
// (http://hl7.org/fhir/us/davinci-cdex/OperationDefinition/submit-attachment,
// profile cdex-parameters-submit-attachment) as a model, its writer for the
// sender, its validating reader for the receiver, and the sender's POST.
//
// The reader checks the OperationDefinition's cardinalities and types plus
// the profile's rules that are not cardinalities: ServiceDate for claims,
// ProviderId or OrganizationId, AttachTo from cdex-claim-use. A problem comes
// back as a 400 Error whose expression names the parameter.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

struct IdentifierValue {
  std::string system;  // may be empty
  std::string value;
  bool operator==(const IdentifierValue&) const = default;
};

struct AttachmentPart {
  std::vector<std::string> line_items;  // claim / PA line numbers
  std::string code_json;                // CodeableConcept (LOINC attachment code) as JSON; "" when absent
  std::string content_json;             // the resource (DocumentReference, QuestionnaireResponse, ...) as JSON
  std::string content_type;             // its resourceType
};

struct SubmitAttachment {
  IdentifierValue tracking_id;
  std::optional<IdentifierValue> admin_ref_number;
  std::string attach_to;  // "claim" | "preauthorization"
  std::optional<IdentifierValue> payer_id;
  std::optional<IdentifierValue> organization_id;  // Type 2 NPI
  std::optional<IdentifierValue> provider_id;      // Type 1 NPI
  IdentifierValue member_id;
  std::string service_date;  // dateTime, day precision at least; required for claims
  std::vector<AttachmentPart> attachments;
  std::optional<bool> final;  // absent means true (no more attachments follow)
};

inline constexpr const char* kSubmitAttachmentProfile =
    "http://hl7.org/fhir/us/davinci-cdex/StructureDefinition/cdex-parameters-submit-attachment";

// The Parameters resource (with the profile in meta) for `submission`.
std::string submit_attachment_parameters_json(const SubmitAttachment& submission);

// Reads and validates a `$submit-attachment` body. Errors are 400 with the
// offending parameter in `expression` (e.g. "Parameters.parameter.where(name='MemberId')").
Result<SubmitAttachment> parse_submit_attachment(std::string_view body);

struct SubmitReceipt {
  long http_status = 0;
  std::string body;  // the payer's answer (an OperationOutcome, informational or not)
  std::string retry_after;  // its Retry-After header ("" when none), for a sender that retries
};

// POSTs `parameters_json` to `operation_url` (the payer's [base]/$submit-attachment,
// or a Task's PayerUrl). http:// is refused unless the host is loopback or
// `allow_plain_http` is set (as for Direct Query). A transport failure is a
// 502 Error; any HTTP answer is a receipt, even 4xx (the caller reads it).
Result<SubmitReceipt> send_submit_attachment(const std::string& operation_url, const std::string& parameters_json,
                                             const std::string& access_token, bool allow_plain_http,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace crdex::fhir
