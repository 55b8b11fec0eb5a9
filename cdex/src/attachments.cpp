#include "crdex/cdex/attachments.hpp"

#include <simdjson.h>

#include "crdex/fhir/attachment_request.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/submit_attachment.hpp"

namespace crdex::cdex {

namespace {

// Reads an identifier object {"system","value"} member of a JSON request.
fhir::IdentifierValue attachment_identifier_member(const fhir::JsonNode& body, std::string_view key) {
  const auto node = body.at(key);
  node.expect_object();
  return {std::string(node.string_or_empty("system")), std::string(node.at("value").as_non_empty_string())};
}

}  // namespace

fhir::Result<ReceivedAttachment> receive_attachment(AttachmentStore& store, std::string_view parameters_json,
                                                    std::string* store_problem,
                                                    const SignatureAgreements* signatures) {
  auto parsed = fhir::parse_submit_attachment(parameters_json);
  if (!parsed) return parsed.error();
  if (signatures) {
    if (auto signed_ok = signatures->check(*parsed); !signed_ok) return signed_ok.error();
  }
  auto stored = store.add(*parsed, parameters_json);
  if (!stored) {
    if (store_problem) *store_problem = stored.error().message;
    return fhir::Error{500, fhir::IssueType::exception, "the attachment could not be stored", ""};
  }
  ReceivedAttachment received{std::move(stored).value(), {}};
  const auto& s = received.stored;
  if (s.claim_id)
    received.message =
        "attachment " + std::to_string(s.id) + " received and attached to " + s.attach_to + " " + s.claim_id->value;
  else
    received.message = "attachment " + std::to_string(s.id) + " received and held for a future " +
                       (s.attach_to == "claim" ? std::string("claim") : std::string("prior authorization")) +
                       " with tracking id " + s.tracking_id.value;
  return received;
}

fhir::Result<int> register_claim(AttachmentStore& store, std::string_view body_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body_json.data(), body_json.size()).get(root) != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure, "the body is not JSON", ""};
  ClaimRegistration claim;
  try {
    const fhir::JsonNode body(root, "");
    body.expect_object();
    claim.tracking_id = attachment_identifier_member(body, "trackingId");
    claim.claim_id = attachment_identifier_member(body, "claimId");
    claim.attach_to = std::string(body.at("attachTo").as_non_empty_string());
    if (claim.attach_to != "claim" && claim.attach_to != "preauthorization")
      body.at("attachTo").fail("must be claim or preauthorization");
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
  auto attached = store.register_claim(claim);
  if (!attached) return fhir::Error{500, fhir::IssueType::exception, "the claim could not be registered", ""};
  return *attached;
}

fhir::Result<SentAttachment> send_attachment(std::string_view body_json, bool allow_plain_http,
                                             const OutboxRoute& route) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (fhir::parse_json(parser, body_json, root) != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure, "the body is not JSON", ""};
  const fhir::SourceSpelling spelling(parser, body_json);  // what is sent keeps its numbers as given
  SentAttachment sent;
  std::string token, payer_name;
  try {
    const fhir::JsonNode body(root, "");
    body.expect_object();
    token = std::string(body.string_or_empty("accessToken"));
    if (const auto task = body.find("attachmentRequest")) {
      // Solicited: answer the payer's Task at its PayerUrl, echoing its tracking id.
      auto parsed = fhir::parse_attachment_request(fhir::minified(task->element()));
      if (!parsed) return parsed.error();
      std::vector<std::string> contents;
      for (const auto& c : body.at("contents").items()) {
        c.expect_object();
        c.at("resourceType").as_non_empty_string();
        contents.push_back(fhir::minified(c.element()));
      }
      if (contents.empty()) body.at("contents").fail("needs at least one resource");
      sent.payer_url = parsed->payer_url;
      sent.parameters = fhir::submit_attachment_parameters_json(fhir::answer_attachment_request(*parsed, contents));
    } else {
      payer_name = std::string(body.string_or_empty("payer"));
      if (payer_name.empty()) sent.payer_url = std::string(body.at("payerUrl").as_non_empty_string());
      else if (body.find("payerUrl")) body.fail("give \"payer\" (a configured destination) or \"payerUrl\", not both");
      const auto given = body.at("parameters");
      given.expect_object();
      sent.parameters = fhir::minified(given.element());
    }
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
  // Never send what the payer would have to reject.
  if (auto checked = fhir::parse_submit_attachment(sent.parameters); !checked) return checked.error();
  if (!route) return fhir::Error{500, fhir::IssueType::exception, "no outbound destinations are set up", ""};
  auto target = route(payer_name, sent.payer_url, token);
  if (!target) return target.error();
  sent.payer_url = target->url;
  auto receipt = fhir::send_submit_attachment(sent.payer_url, sent.parameters, target->token, allow_plain_http);
  if (!receipt) {
    auto error = receipt.error();
    if (error.http_status == 412) error.http_status = 400;  // a payer URL crdex may not call is bad input here
    return error;
  }
  sent.payer_status = receipt->http_status;
  sent.payer_answer = std::move(receipt->body);
  return sent;
}

}  // namespace crdex::cdex
