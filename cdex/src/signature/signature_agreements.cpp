#include <crdex/cdex/signature_agreements.hpp>
#include <simdjson.h>

#include <filesystem>

namespace crdex::cdex {

namespace {

bool agreement_matches(const fhir::IdentifierValue& agreed, const std::optional<fhir::IdentifierValue>& sender) {
  return sender && sender->value == agreed.value && (agreed.system.empty() || agreed.system == sender->system);
}

}  // namespace

fhir::Result<SignatureAgreements> SignatureAgreements::from_file(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.load(path).get(root); error != simdjson::SUCCESS) {
    return fhir::Error::invalid(path + ": not a readable JSON file (" + simdjson::error_message(error) + ")");
  }
  std::string_view anchors_file;
  if (root["trustAnchors"].get(anchors_file) != simdjson::SUCCESS || anchors_file.empty()) {
    return fhir::Error::invalid(path + ": \"trustAnchors\" (a PEM file) is required", "trustAnchors");
  }
  std::filesystem::path anchors_path(anchors_file);
  if (anchors_path.is_relative()) anchors_path = std::filesystem::path(path).parent_path() / anchors_path;
  auto anchors = TrustAnchors::from_file(anchors_path.string());
  if (!anchors) return anchors.error();
  std::vector<fhir::IdentifierValue> signers;
  simdjson::dom::array listed;
  if (root["requireSignatureFrom"].get(listed) != simdjson::SUCCESS) {
    return fhir::Error::invalid(path + ": \"requireSignatureFrom\" must be an array of \"SYSTEM|VALUE\"",
                                "requireSignatureFrom");
  }
  for (const auto entry : listed) {
    std::string_view text;
    if (entry.get(text) != simdjson::SUCCESS || text.empty() || text.back() == '|') {
      return fhir::Error::invalid(path + ": each of \"requireSignatureFrom\" is \"SYSTEM|VALUE\" or \"VALUE\"",
                                  "requireSignatureFrom");
    }
    const size_t bar = text.find('|');
    signers.push_back(bar == std::string_view::npos
                          ? fhir::IdentifierValue{"", std::string(text)}
                          : fhir::IdentifierValue{std::string(text.substr(0, bar)), std::string(text.substr(bar + 1))});
  }
  return SignatureAgreements(std::move(*anchors), std::move(signers));
}

bool SignatureAgreements::requires_signature(const fhir::SubmitAttachment& submission) const {
  for (const auto& agreed : signers_) {
    if (agreement_matches(agreed, submission.provider_id) || agreement_matches(agreed, submission.organization_id)) {
      return true;
    }
  }
  return false;
}

fhir::Result<bool> SignatureAgreements::check(const fhir::SubmitAttachment& submission) const {
  if (!requires_signature(submission)) return false;
  for (size_t i = 0; i < submission.attachments.size(); ++i) {
    const auto& part = submission.attachments[i];
    const std::string where = "Parameters.parameter.where(name='Attachment')[" + std::to_string(i) +
                              "].part.where(name='Content').resource";
    if (part.content_type != "Bundle") {
      return fhir::Error{400, fhir::IssueType::business_rule,
                         "the agreement with this provider requires signed attachments: attachment " +
                             std::to_string(i + 1) + " is a " + part.content_type +
                             ", not a signed Bundle (a FHIR document with Bundle.signature)",
                         where};
    }
    auto verified = verifier_.verify_bundle(part.content_json);
    if (!verified) {
      return fhir::Error{400, verified.error().type,
                         "attachment " + std::to_string(i + 1) + ": " + verified.error().message,
                         where + ".signature"};
    }
  }
  return true;
}

}  // namespace crdex::cdex
