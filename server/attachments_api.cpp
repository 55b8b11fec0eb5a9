#include "attachments_api.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "api_helpers.hpp"
#include "crdex/cdex/attachments.hpp"
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

void write_submission(fhir::JsonWriter& w, const cdex::StoredSubmission& s) {
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

}  // namespace

std::vector<Route> AttachmentsApi::routes() const {
  using M = Http::Method;
  // Provider systems (submit) and the payer's systems (reads): SMART Backend
  // Services access tokens with system/DocumentReference scopes; claims and
  // the outbox: an operator with the "attachments" role.
  auto route = [](M method, std::string pattern, RouteHandler handler, AccessPolicy policy) {
    return Route{method, std::move(pattern), policy, std::move(handler), true, {}};
  };
  constexpr auto system = AccessPolicy::provider_system, operator_role = AccessPolicy::operator_attachments;
  const std::string base(kAttachmentsPath);
  return {
      route(M::Post, std::string(kSubmitPath),
            [this](const Http::Request& request, const PathParams&) { return receive(request); }, system),
      route(M::Get, base, [this](const Http::Request& request, const PathParams&) { return search(request); }, system),
      route(M::Post, base + "/claims",
            [this](const Http::Request& request, const PathParams&) { return register_claim(request); },
            operator_role),
      route(M::Post, base + "/outbox",
            [this](const Http::Request& request, const PathParams&) { return send(request); }, operator_role),
      route(M::Get, base + "/{id}",
            [this](const Http::Request&, const PathParams& p) { return read(p.get("id"), Part::summary, {}); }, system),
      route(M::Get, base + "/{id}/parameters",
            [this](const Http::Request&, const PathParams& p) { return read(p.get("id"), Part::parameters, {}); },
            system),
      route(M::Get, base + "/{id}/content/{n}",
            [this](const Http::Request&, const PathParams& p) { return read(p.get("id"), Part::content, p.get("n")); },
            system),
  };
}

ApiAnswer AttachmentsApi::receive(const Http::Request& request) const {
  if (!has_json_body(request))
    return problem_answer(415, fhir::IssueType::not_supported, "send the Parameters as application/fhir+json");
  std::string store_problem;
  auto received = cdex::receive_attachment(*store_, request.body(), &store_problem, options_.signatures.get());
  if (!received) {
    if (!store_problem.empty()) spdlog::error("$submit-attachment: {}", store_problem);
    return problem_answer(received.error());
  }
  ApiAnswer answer{200, fhir::information_outcome_json(received->message), true, {}};
  answer.headers.emplace_back("Location", "/attachments/" + std::to_string(received->stored.id));
  return answer;
}

ApiAnswer AttachmentsApi::search(const Http::Request& request) const {
  cdex::AttachmentQuery query;
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

ApiAnswer AttachmentsApi::read(const std::string& id_text, Part part, const std::string& sequence_text) const {
  std::string rest = id_text;
  if (part == Part::parameters) rest += "/parameters";
  if (part == Part::content) rest += "/content/" + sequence_text;
  const auto id = parse_id(id_text);
  if (!id) return not_found(rest);
  if (part == Part::summary) {
    auto s = store_->get(*id);
    if (!s) return problem_answer(500, fhir::IssueType::exception, "the attachment store could not be read");
    if (!*s) return not_found(rest);
    fhir::JsonBuffer buffer;
    fhir::JsonWriter w(buffer);
    write_submission(w, **s);
    return {200, {buffer.GetString(), buffer.GetSize()}, false, {}};
  }
  fhir::Result<std::optional<std::string>> document = std::optional<std::string>();
  if (part == Part::parameters) {
    document = store_->parameters(*id);
  } else {
    const auto sequence = parse_id(sequence_text);
    if (!sequence) return not_found(rest);
    document = store_->content(*id, static_cast<int>(*sequence));
  }
  if (!document) return problem_answer(500, fhir::IssueType::exception, "the attachment store could not be read");
  if (!*document) return not_found(rest);
  return {200, std::move(**document), true, {}};
}

ApiAnswer AttachmentsApi::register_claim(const Http::Request& request) const {
  if (!has_json_body(request)) return problem_answer(415, fhir::IssueType::not_supported, "send JSON");
  auto attached = cdex::register_claim(*store_, request.body());
  if (!attached) return problem_answer(attached.error());
  return {200, R"({"attached":)" + std::to_string(*attached) + "}", false, {}};
}

ApiAnswer AttachmentsApi::send(const Http::Request& request) const {
  if (!has_json_body(request)) return problem_answer(415, fhir::IssueType::not_supported, "send JSON");
  // The payer is a configured destination: named ("payer"), or by a URL under
  // its base (payerUrl, or the solicited Task's); its credential, else the body's token.
  const cdex::OutboxRoute route = [this](std::string_view name, std::string_view url,
                                         std::string_view body_token) -> fhir::Result<cdex::OutboxTarget> {
    if (!options_.destinations)
      return fhir::Error{400, fhir::IssueType::security,
                         "the outbox sends only to configured destinations, and none is configured (--destinations)",
                         name.empty() ? "payerUrl" : "payer"};
    auto chosen = options_.destinations->choose(name, url, name.empty() ? "payerUrl" : "payer");
    if (!chosen) return chosen.error();
    const Destination& payer = **chosen;
    auto token = payer.bearer_token();
    if (!token) return token.error();
    if (token->empty()) token = std::string(body_token);  // the documented fallback: a pasted token
    return cdex::OutboxTarget{name.empty() ? std::string(url) : payer.url + "/$submit-attachment", *token};
  };
  auto sent = cdex::send_attachment(request.body(), options_.allow_plain_http, route);
  if (!sent) return problem_answer(sent.error());
  const auto& payer_url = sent->payer_url;
  const auto& parameters = sent->parameters;

  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "payerUrl");
  fhir::write_string(w, payer_url);
  fhir::write_key(w, "payerStatus");
  w.Int(static_cast<int>(sent->payer_status));
  simdjson::dom::parser answer_parser;
  simdjson::dom::element answer;
  if (answer_parser.parse(sent->payer_answer).get(answer) == simdjson::SUCCESS && answer.is_object()) {
    fhir::write_key(w, "payerAnswer");
    fhir::write_raw(w, answer);
  }
  fhir::write_key(w, "parameters");
  w.RawValue(parameters.data(), parameters.size(), rapidjson::kObjectType);
  w.EndObject();
  const bool accepted = sent->payer_status >= 200 && sent->payer_status < 300;
  return {accepted ? 200 : 502, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

}  // namespace crdex::server
