// $submit-attachment Parameters: writer, validating reader, and the POST.

#include "crdex/fhir/submit_attachment.hpp"
#include "crdex/fhir/json_numbers.hpp"

#include <map>
#include <regex>

#include "crdex/fhir/http_client.hpp"
#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "identifier_json.hpp"

namespace crdex::fhir {

namespace {

void write_identifier_parameter(JsonWriter& w, std::string_view name, const std::optional<IdentifierValue>& id) {
  if (!id) return;
  w.StartObject();
  write_key(w, "name");
  write_string(w, name);
  write_key(w, "valueIdentifier");
  detail::write_identifier(w, *id);
  w.EndObject();
}

void write_named_value(JsonWriter& w, std::string_view name, std::string_view type_key, std::string_view value) {
  w.StartObject();
  write_key(w, "name");
  write_string(w, name);
  write_key(w, type_key);
  write_string(w, value);
  w.EndObject();
}

std::string where_name(std::string_view name) { return "Parameters.parameter.where(name='" + std::string(name) + "')"; }

// Cardinalities of the OperationDefinition's "in" parameters (max 0 = many).
struct ParameterRule {
  int min;
  int max;
};
const std::map<std::string, ParameterRule, std::less<>> kParameters = {
    {"TrackingId", {1, 1}}, {"AdminRefNumber", {0, 1}}, {"AttachTo", {1, 1}},      {"PayerId", {0, 1}},
    {"OrganizationId", {0, 1}}, {"ProviderId", {0, 1}}, {"MemberId", {1, 1}},      {"ServiceDate", {0, 1}},
    {"Attachment", {1, 0}},     {"Final", {0, 1}}};

// A FHIR dateTime: YYYY, YYYY-MM, YYYY-MM-DD or with a time and zone.
bool is_date_time(std::string_view s) {
  static const std::regex pattern(
      R"(([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?)");
  return std::regex_match(s.begin(), s.end(), pattern);
}

IdentifierValue read_identifier(const JsonNode& parameter) {
  const auto node = parameter.find("valueIdentifier");
  if (!node) parameter.fail("must carry a valueIdentifier");
  node->expect_object();
  IdentifierValue id{std::string(node->string_or_empty("system")), std::string(node->string_or_empty("value"))};
  if (id.value.empty()) node->fail("needs a value");
  return id;
}

AttachmentPart read_attachment(const JsonNode& parameter) {
  const auto parts = parameter.find("part");
  if (!parts || !parts->is_array()) parameter.fail("must carry its LineItem / Code / Content parts");
  AttachmentPart out;
  int contents = 0;
  for (const auto& part : parts->items()) {
    part.expect_object();
    const auto name = part.at("name").as_string();
    if (name == "LineItem") {
      out.line_items.emplace_back(part.at("valueString").as_non_empty_string());
    } else if (name == "Code") {
      if (!out.code_json.empty()) part.fail("is a second Code (at most one)");
      const auto code = part.at("valueCodeableConcept");
      code.expect_object();
      out.code_json = minified(code.element());
    } else if (name == "Content") {
      ++contents;
      const auto resource = part.find("resource");
      if (!resource || !resource->is_object()) part.fail("must carry the attachment as a resource");
      out.content_type = std::string(resource->at("resourceType").as_non_empty_string());
      out.content_json = minified(resource->element());
    } else {
      part.fail("is an unknown Attachment part '" + std::string(name) + "' (LineItem, Code, Content)");
    }
  }
  if (contents != 1) parameter.fail("must have exactly one Content part (it has " + std::to_string(contents) + ")");
  return out;
}

}  // namespace

std::string submit_attachment_parameters_json(const SubmitAttachment& s) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_key(w, "resourceType");
  write_string(w, "Parameters");
  write_key(w, "meta");
  w.StartObject();
  write_key(w, "profile");
  w.StartArray();
  write_string(w, kSubmitAttachmentProfile);
  w.EndArray();
  w.EndObject();
  write_key(w, "parameter");
  w.StartArray();
  write_identifier_parameter(w, "TrackingId", s.tracking_id);
  write_identifier_parameter(w, "AdminRefNumber", s.admin_ref_number);
  write_named_value(w, "AttachTo", "valueCode", s.attach_to);
  write_identifier_parameter(w, "PayerId", s.payer_id);
  write_identifier_parameter(w, "OrganizationId", s.organization_id);
  write_identifier_parameter(w, "ProviderId", s.provider_id);
  write_identifier_parameter(w, "MemberId", s.member_id);
  if (!s.service_date.empty()) write_named_value(w, "ServiceDate", "valueDateTime", s.service_date);
  for (const auto& a : s.attachments) {
    w.StartObject();
    write_key(w, "name");
    write_string(w, "Attachment");
    write_key(w, "part");
    w.StartArray();
    for (const auto& line : a.line_items) write_named_value(w, "LineItem", "valueString", line);
    if (!a.code_json.empty()) {
      w.StartObject();
      write_key(w, "name");
      write_string(w, "Code");
      write_key(w, "valueCodeableConcept");
      w.RawValue(a.code_json.data(), a.code_json.size(), rapidjson::kObjectType);
      w.EndObject();
    }
    w.StartObject();
    write_key(w, "name");
    write_string(w, "Content");
    write_key(w, "resource");
    w.RawValue(a.content_json.data(), a.content_json.size(), rapidjson::kObjectType);
    w.EndObject();
    w.EndArray();
    w.EndObject();
  }
  if (s.final) {
    w.StartObject();
    write_key(w, "name");
    write_string(w, "Final");
    write_key(w, "valueBoolean");
    w.Bool(*s.final);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

Result<SubmitAttachment> parse_submit_attachment(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parse_json(parser, body, root) != simdjson::SUCCESS)
    return Error::invalid("the body is not JSON", "Parameters");
  const SourceSpelling spelling(parser, body);  // copied parts keep their numbers
  try {
    const JsonNode parameters(root, "Parameters");
    parameters.expect_object();
    if (parameters.string_or_empty("resourceType") != "Parameters")
      return Error::invalid("the body must be a Parameters resource", "Parameters.resourceType");
    const auto list = parameters.find("parameter");
    if (!list || !list->is_array()) return Error::invalid("Parameters.parameter is required", "Parameters.parameter");

    SubmitAttachment out;
    std::map<std::string, int, std::less<>> seen;
    for (const auto& p : list->items()) {
      p.expect_object();
      const auto name = p.at("name").as_non_empty_string();
      try {
      const auto rule = kParameters.find(name);
      if (rule == kParameters.end())
        return Error::invalid("'" + std::string(name) + "' is not a parameter of $submit-attachment", p.path());
      const int count = ++seen[std::string(name)];
      if (rule->second.max != 0 && count > rule->second.max)
        return Error::invalid(std::string(name) + " may appear at most once", where_name(name));
      if (name == "TrackingId") out.tracking_id = read_identifier(p);
      else if (name == "AdminRefNumber") out.admin_ref_number = read_identifier(p);
      else if (name == "PayerId") out.payer_id = read_identifier(p);
      else if (name == "OrganizationId") out.organization_id = read_identifier(p);
      else if (name == "ProviderId") out.provider_id = read_identifier(p);
      else if (name == "MemberId") out.member_id = read_identifier(p);
      else if (name == "AttachTo") {
        out.attach_to = std::string(p.at("valueCode").as_non_empty_string());
        if (out.attach_to != "claim" && out.attach_to != "preauthorization")
          return Error::invalid("AttachTo must be 'claim' or 'preauthorization' (cdex-claim-use), not '" + out.attach_to + "'",
                         where_name(name));
      } else if (name == "ServiceDate") {
        out.service_date = std::string(p.at("valueDateTime").as_non_empty_string());
        if (!is_date_time(out.service_date) || out.service_date.size() < 10)
          return Error::invalid("ServiceDate must be a FHIR dateTime of at least day precision", where_name(name));
      } else if (name == "Final") {
        out.final = p.at("valueBoolean").as_bool();
      } else if (name == "Attachment") {
        out.attachments.push_back(read_attachment(p));
      }
      } catch (const JsonShapeError& e) {
        // Name the parameter; the path inside it is in the message.
        return Error::invalid(std::string(name) + ": " + e.what(), where_name(name));
      }
    }
    for (const auto& [name, rule] : kParameters)
      if (seen[name] < rule.min) return Error::invalid(name + " is required", where_name(name));
    if (!out.provider_id && !out.organization_id)
      return Error::invalid("a ProviderId or an OrganizationId (or both) is required", where_name("ProviderId"));
    if (out.attach_to == "claim" && out.service_date.empty())
      return Error::invalid("ServiceDate is required when the attachment is for a claim", where_name("ServiceDate"));
    return out;
  } catch (const JsonShapeError& e) {
    return Error::invalid(e.what(), e.path);
  }
}

Result<SubmitReceipt> send_submit_attachment(const std::string& operation_url, const std::string& parameters_json,
                                             const std::string& access_token, bool allow_plain_http,
                                             std::chrono::milliseconds timeout) {
  if (auto refused = check_fhir_server_url(operation_url, allow_plain_http)) {
    refused->expression = "PayerUrl";
    return *refused;
  }
  HttpCall call;
  call.method = "POST";
  call.url = operation_url;
  call.headers = {"Content-Type: application/fhir+json", "Accept: application/fhir+json"};
  call.body = parameters_json;
  call.access_token = access_token;
  call.timeout = timeout;
  auto answer = perform_http_call(call);
  if (!answer.transferred)
    return Error{502, IssueType::transient, "the payer at " + operation_url + " did not answer: " + answer.problem, ""};
  return SubmitReceipt{answer.status, std::move(answer.body), answer.header("retry-after")};
}

}  // namespace crdex::fhir
