#pragma once
// Signature agreements for received attachments (CDex "Signatures", conformance
// row CDX-13): a payer and some of its providers agree that what those
// providers submit with `$submit-attachment` is signed. For a submission from
// such a provider (its ProviderId or OrganizationId), every attachment's
// content must be a Bundle (a FHIR document) whose Bundle.signature verifies
// against the configured trust anchors (signature.hpp); a missing or bad
// signature refuses the whole submission with a 400 naming the attachment.
// Submissions from other senders are not checked.
//
// The agreements file (JSON):
//   {
//     "trustAnchors": "partners-ca.pem",          // PEM file, relative to this file
//     "requireSignatureFrom": [                    // ProviderId / OrganizationId
//       "http://hl7.org/fhir/sid/us-npi|9941339108",
//       "1407071236"                               // any system
//     ]
//   }

#include <crdex/cdex/signature.hpp>
#include <crdex/fhir/result.hpp>
#include <crdex/fhir/submit_attachment.hpp>

#include <string>
#include <vector>

namespace crdex::cdex {

class SignatureAgreements {
 public:
  static fhir::Result<SignatureAgreements> from_file(const std::string& path);
  SignatureAgreements(TrustAnchors anchors, std::vector<fhir::IdentifierValue> signers)
      : verifier_(std::move(anchors)), signers_(std::move(signers)) {}

  // Whether the agreement asks `submission`'s sender to sign.
  bool requires_signature(const fhir::SubmitAttachment& submission) const;

  // Nothing when `submission` may be accepted; otherwise a 400 Error naming the
  // attachment whose signature is missing or does not verify.
  fhir::Result<bool> check(const fhir::SubmitAttachment& submission) const;

 private:
  SignatureVerifier verifier_;
  std::vector<fhir::IdentifierValue> signers_;
};

}  // namespace crdex::cdex
