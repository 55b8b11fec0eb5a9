#include "attachments_api.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "api_helpers.hpp"
#include "crdex/fhir/attachment_request.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

constexpr std::string_view kSubmitPath = "/$submit-attachment";
constexpr std::string_view kAttachmentsPath = "/attachments";

void write_identifier(fhir::JsonWriter& w, std::string_view key, const fhir::IdentifierValue& id) {
  fhir::write_key(w, key);
  w.StartObject();
  fhir::write_optional_string(w, "system", id.system);
  fhir::write_key(w, "value");
  fhir::write_string(w, id.value);
  w.EndObject();
}

void write_submission(fhir::JsonWriter& w, const StoredSubmission& s) {
  w.StartObject();
  fhir::write_key(w, "id");
  fhir::write_string(w, std::to_string(s.id));
  fhir::write_key(w, "receivedAt");
  fhir::write_string(w, s.received_at);
  fhir::write_key(w, "status");
  fhir::write_string(w, s.status);
  write_identifier(w, "trackingId", s.tracking_id);
  fhir::write_key(w, "attachTo");
  fhir::write_string(w, s.attach_to);
  write_identifier(w, "memberId", s.member_id);
  if (s.claim_id) write_identifier(w, "claimId", *s.claim_id);
  fhir::write_optional_string(w, "serviceDate", s.service_date);
  fhir::write_key(w, "final");
  w.Bool(s.final);
  fhir::write_key(w, "attachments");
  w.StartArray();
  for (const auto& a : s.attachments) {
    w.StartObject();
    fhir::write_key(w, "sequence");
    w.Int(a.sequence);
    fhir::write_key(w, "contentType");
    fhir::write_string(w, a.content_type);
    if (!a.code_json.empty()) {
      fhir::write_key(w, "code");
      w.RawValue(a.code_json.data(), a.code_json.size(), rapidjson::kObjectType);
    }
    fhir::write_key(w, "lineItems");
    w.StartArray();
    for (const auto& line : a.line_items) fhir::write_string(w, line);
    w.EndArray();
    fhir::write_key(w, "content");
    fhir::write_string(w, "/attachments/" + std::to_string(s.id) + "/content/" + std::to_string(a.sequence));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

std::optional<int64_t> parse_id(std::string_view text) {
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

ApiAnswer not_found(std::string_view path) {
  return problem_answer(404, fhir::IssueType::not_found, "no such attachment resource: " + std::string(path));
}

// Reads an identifier object {"system","value"} member of a JSON request.
fhir::IdentifierValue identifier_member(const fhir::JsonNode& body, std::string_view key) {
  const auto node = body.at(key);
  node.expect_object();
  return {std::string(node.string_or_empty("system")), std::string(node.at("value").as_non_empty_string())};
}

}  // namespace

bool AttachmentsApi::serves(std::string_view path) const {
  return path == kSubmitPath || path == kAttachmentsPath ||
         (path.starts_with(kAttachmentsPath) && path[kAttachmentsPath.size()] == '/');
}

ApiAnswer AttachmentsApi::handle(const Http::Request& request, std::string_view path) const {
  const auto method = request.method();
  if (path == kSubmitPath) return method == Http::Method::Post ? receive(request) : not_allowed("POST");
  if (path == kAttachmentsPath) return method == Http::Method::Get ? search(request) : not_allowed("GET");
  const auto rest = path.substr(kAttachmentsPath.size() + 1);
  if (rest == "claims") return method == Http::Method::Post ? register_claim(request) : not_allowed("POST");
  if (rest == "outbox") return method == Http::Method::Post ? send(request) : not_allowed("POST");
  if (method != Http::Method::Get) return not_allowed("GET");
  return read(rest);
}

ApiAnswer AttachmentsApi::receive(const Http::Request& request) const {
  if (!has_json_body(request))
    return problem_answer(415, fhir::IssueType::not_supported, "send the Parameters as application/fhir+json");
  auto parsed = fhir::parse_submit_attachment(request.body());
  if (!parsed) return problem_answer(parsed.error());
  if (options_.signatures) {
    if (auto signed_ok = options_.signatures->check(*parsed); !signed_ok) return problem_answer(signed_ok.error());
  }
  auto stored = store_->add(*parsed, request.body());
  if (!stored) {
    spdlog::error("$submit-attachment: {}", stored.error().message);
    return problem_answer(500, fhir::IssueType::exception, "the attachment could not be stored");
  }
  const auto& s = *stored;
  std::string message;
  if (s.claim_id)
    message = "attachment " + std::to_string(s.id) + " received and attached to " + s.attach_to + " " + s.claim_id->value;
  else
    message = "attachment " + std::to_string(s.id) + " received and held for a future " +
              (s.attach_to == "claim" ? std::string("claim") : std::string("prior authorization")) + " with tracking id " +
              s.tracking_id.value;
  ApiAnswer answer{200, information_outcome(message), true, {}};
  answer.headers.emplace_back("Location", "/attachments/" + std::to_string(s.id));
  return answer;
}

ApiAnswer AttachmentsApi::search(const Http::Request& request) const {
  AttachmentQuery query;
  if (auto v = query_parameter(request, "tracking-id")) query.tracking_id = token_identifier(*v);
  if (auto v = query_parameter(request, "member")) query.member_id = token_identifier(*v);
  if (auto v = query_parameter(request, "claim")) query.claim_id = token_identifier(*v);
  if (!query.tracking_id && !query.member_id && !query.claim_id)
    return problem_answer(400, fhir::IssueType::required, "search by tracking-id, member or claim (system|value)",
                          "tracking-id");
  auto found = store_->find(query);
  if (!found) return problem_answer(500, fhir::IssueType::exception, "the attachment store could not be searched");
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "total");
  w.Int(static_cast<int>(found->size()));
  fhir::write_key(w, "submissions");
  w.StartArray();
  for (const auto& s : *found) write_submission(w, s);
  w.EndArray();
  w.EndObject();
  return {200, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

ApiAnswer AttachmentsApi::read(std::string_view rest) const {
  const auto slash = rest.find('/');
  const auto id = parse_id(rest.substr(0, slash));
  if (!id) return not_found(rest);
  if (slash == std::string_view::npos) {
    auto s = store_->get(*id);
    if (!s) return problem_answer(500, fhir::IssueType::exception, "the attachment store could not be read");
    if (!*s) return not_found(rest);
    fhir::JsonBuffer buffer;
    fhir::JsonWriter w(buffer);
    write_submission(w, **s);
    return {200, {buffer.GetString(), buffer.GetSize()}, false, {}};
  }
  const auto tail = rest.substr(slash + 1);
  fhir::Result<std::optional<std::string>> document = std::optional<std::string>();
  if (tail == "parameters") {
    document = store_->parameters(*id);
  } else if (tail.starts_with("content/")) {
    const auto sequence = parse_id(tail.substr(8));
    if (!sequence) return not_found(rest);
    document = store_->content(*id, static_cast<int>(*sequence));
  } else {
    return not_found(rest);
  }
  if (!document) return problem_answer(500, fhir::IssueType::exception, "the attachment store could not be read");
  if (!*document) return not_found(rest);
  return {200, std::move(**document), true, {}};
}

ApiAnswer AttachmentsApi::register_claim(const Http::Request& request) const {
  if (!has_json_body(request)) return problem_answer(415, fhir::IssueType::not_supported, "send JSON");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(request.body()).get(root) != simdjson::SUCCESS)
    return problem_answer(400, fhir::IssueType::structure, "the body is not JSON");
  ClaimRegistration claim;
  try {
    const fhir::JsonNode body(root, "");
    body.expect_object();
    claim.tracking_id = identifier_member(body, "trackingId");
    claim.claim_id = identifier_member(body, "claimId");
    claim.attach_to = std::string(body.at("attachTo").as_non_empty_string());
    if (claim.attach_to != "claim" && claim.attach_to != "preauthorization")
      body.at("attachTo").fail("must be claim or preauthorization");
  } catch (const fhir::JsonShapeError& e) {
    return problem_answer(400, fhir::IssueType::invalid, e.what(), e.path);
  }
  auto attached = store_->register_claim(claim);
  if (!attached) return problem_answer(500, fhir::IssueType::exception, "the claim could not be registered");
  return {200, R"({"attached":)" + std::to_string(*attached) + "}", false, {}};
}

ApiAnswer AttachmentsApi::send(const Http::Request& request) const {
  if (!has_json_body(request)) return problem_answer(415, fhir::IssueType::not_supported, "send JSON");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(request.body()).get(root) != simdjson::SUCCESS)
    return problem_answer(400, fhir::IssueType::structure, "the body is not JSON");
  std::string payer_url;
  std::string parameters;
  std::string token;
  try {
    const fhir::JsonNode body(root, "");
    body.expect_object();
    token = std::string(body.string_or_empty("accessToken"));
    if (const auto task = body.find("attachmentRequest")) {
      // Solicited: answer the payer's Task at its PayerUrl, echoing its tracking id.
      auto parsed = fhir::parse_attachment_request(simdjson::minify(task->element()));
      if (!parsed) return problem_answer(parsed.error());
      std::vector<std::string> contents;
      for (const auto& c : body.at("contents").items()) {
        c.expect_object();
        c.at("resourceType").as_non_empty_string();
        contents.push_back(simdjson::minify(c.element()));
      }
      if (contents.empty()) body.at("contents").fail("needs at least one resource");
      payer_url = parsed->payer_url;
      parameters = fhir::submit_attachment_parameters_json(fhir::answer_attachment_request(*parsed, contents));
    } else {
      payer_url = std::string(body.at("payerUrl").as_non_empty_string());
      const auto given = body.at("parameters");
      given.expect_object();
      parameters = simdjson::minify(given.element());
    }
  } catch (const fhir::JsonShapeError& e) {
    return problem_answer(400, fhir::IssueType::invalid, e.what(), e.path);
  }
  // Never send what the payer would have to reject.
  if (auto checked = fhir::parse_submit_attachment(parameters); !checked) return problem_answer(checked.error());
  auto receipt = fhir::send_submit_attachment(payer_url, parameters, token, options_.allow_plain_http);
  if (!receipt) {
    auto error = receipt.error();
    if (error.http_status == 412) error.http_status = 400;  // a payer URL crdex may not call is bad input here
    return problem_answer(error);
  }

  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "payerUrl");
  fhir::write_string(w, payer_url);
  fhir::write_key(w, "payerStatus");
  w.Int(static_cast<int>(receipt->http_status));
  simdjson::dom::parser answer_parser;
  simdjson::dom::element answer;
  if (answer_parser.parse(receipt->body).get(answer) == simdjson::SUCCESS && answer.is_object()) {
    fhir::write_key(w, "payerAnswer");
    fhir::write_raw(w, answer);
  }
  fhir::write_key(w, "parameters");
  w.RawValue(parameters.data(), parameters.size(), rapidjson::kObjectType);
  w.EndObject();
  const bool accepted = receipt->http_status >= 200 && receipt->http_status < 300;
  return {accepted ? 200 : 502, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

}  // namespace crdex::server
