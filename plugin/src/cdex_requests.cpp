#include "cdex_requests.hpp"

#include <simdjson.h>

#include "crdex/fhir/json_numbers.hpp"

namespace crdex::plugin {

namespace {

namespace fc = fhir::cdex;

fhir::Error not_json(std::string_view what) {
  return {400, fhir::IssueType::structure, std::string(what) + " is not a JSON object", ""};
}

fhir::Error bad_member(std::string_view key, std::string_view why) {
  return {400, fhir::IssueType::invalid, "\"" + std::string(key) + "\" " + std::string(why), std::string(key)};
}

fhir::Error missing(std::string_view key) { return {400, fhir::IssueType::required, "\"" + std::string(key) + "\" is missing", std::string(key)}; }

// A non-empty string member, or the error naming it.
bool read_string(simdjson::dom::element value, std::string_view key, std::string& out, std::optional<fhir::Error>& error) {
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS || text.empty()) {
    error = bad_member(key, "must be a non-empty string");
    return false;
  }
  out.assign(text);
  return true;
}

// A FHIR Reference: an object with a reference or an identifier, kept minified.
bool read_reference(simdjson::dom::element value, std::string_view key, std::string& out,
                    std::optional<fhir::Error>& error) {
  if (!value.is_object() || (value["reference"].error() != simdjson::SUCCESS &&
                             value["identifier"].error() != simdjson::SUCCESS)) {
    error = bad_member(key, "must be a FHIR Reference with a reference or an identifier");
    return false;
  }
  out = fhir::minified(value);
  return true;
}

bool read_code(simdjson::dom::element value, fc::RequestedCode& code, std::optional<fhir::Error>& error) {
  if (!value.is_object()) {
    error = bad_member("code", "must be an object {\"system\", \"code\", \"text\"}");
    return false;
  }
  for (auto field : value.get_object()) {
    const std::string key = "code." + std::string(field.key);
    std::string* target = field.key == "system" ? &code.system
                          : field.key == "code" ? &code.code
                          : field.key == "text" ? &code.text
                                                : nullptr;
    if (!target) {
      error = bad_member(key, "is not a known member (system, code, text)");
      return false;
    }
    if (!read_string(field.value, key, *target, error)) return false;
  }
  if (code.code.empty() && code.text.empty()) {
    error = missing("code.code");
    return false;
  }
  return true;
}

}  // namespace

fhir::Result<CreateTaskRequest> read_create_task_request(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (fhir::parse_json(parser, json, root) != simdjson::SUCCESS || !root.is_object())
    return not_json("the CDex task request");
  const fhir::SourceSpelling spelling(parser, json);  // copied members keep their numbers as given
  CreateTaskRequest out;
  std::optional<fhir::Error> error;
  std::string kind;
  bool has_code = false;
  for (auto field : root.get_object()) {
    const std::string_view key = field.key;
    bool ok = true;
    if (key == "kind") ok = read_string(field.value, key, kind, error);
    else if (key == "query") ok = read_string(field.value, key, out.request.query, error);
    else if (key == "code") ok = has_code = read_code(field.value, out.request.code, error);
    else if (key == "for") ok = read_reference(field.value, key, out.request.for_patient, error);
    else if (key == "requester") ok = read_reference(field.value, key, out.request.requester, error);
    else if (key == "owner") ok = read_reference(field.value, key, out.request.owner, error);
    else if (key == "reason") ok = read_string(field.value, key, out.request.reason_code_text, error);
    else if (key == "reason_reference") ok = read_reference(field.value, key, out.request.reason_reference, error);
    else if (key == "post_to") ok = read_string(field.value, key, out.post_to, error);
    else if (key == "access_token") ok = read_string(field.value, key, out.access_token, error);
    else
      return bad_member(key,
                        "is not a known member (kind, query, code, for, requester, owner, reason, "
                        "reason_reference, post_to, access_token)");
    if (!ok) return *error;
  }
  if (kind.empty()) return missing("kind");
  if (kind == "query") {
    out.request.kind = fc::RequestKind::query;
    if (out.request.query.empty()) return missing("query");
    if (has_code) return bad_member("code", "is not allowed with kind \"query\"");
  } else if (kind == "code") {
    out.request.kind = fc::RequestKind::code;
    if (!has_code) return missing("code");
    if (!out.request.query.empty()) return bad_member("query", "is not allowed with kind \"code\"");
  } else {
    return bad_member("kind", "must be \"query\" or \"code\"");
  }
  for (auto [value, key] : {std::pair{&out.request.for_patient, "for"}, std::pair{&out.request.requester, "requester"},
                            std::pair{&out.request.owner, "owner"}})
    if (value->empty()) return missing(key);
  if (!out.access_token.empty() && out.post_to.empty()) return bad_member("access_token", "needs \"post_to\"");
  return out;
}

fhir::Result<FulfilTaskRequest> read_fulfil_task_request(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (fhir::parse_json(parser, json, root) != simdjson::SUCCESS || !root.is_object())
    return not_json("the CDex fulfilment request");
  const fhir::SourceSpelling spelling(parser, json);  // the Task keeps its numbers as given
  FulfilTaskRequest out;
  std::optional<fhir::Error> error;
  for (auto field : root.get_object()) {
    const std::string_view key = field.key;
    bool ok = true;
    if (key == "task") {
      if (!field.value.is_object()) return bad_member(key, "must be a Task resource");
      out.task = fhir::minified(field.value);
    } else if (key == "fhir_server") {
      ok = read_string(field.value, key, out.fhir_server, error);
    } else if (key == "access_token") {
      ok = read_string(field.value, key, out.access_token, error);
    } else if (key == "code_queries") {
      simdjson::dom::object map;
      if (field.value.get(map) != simdjson::SUCCESS) return bad_member(key, "must be an object of code -> search");
      for (auto entry : map) {
        std::string query;
        if (!read_string(entry.value, "code_queries." + std::string(entry.key), query, error)) return *error;
        out.code_queries.emplace(std::string(entry.key), std::move(query));
      }
    } else {
      return bad_member(key, "is not a known member (task, fhir_server, access_token, code_queries)");
    }
    if (!ok) return *error;
  }
  if (out.task.empty()) return missing("task");
  if (out.fhir_server.empty()) return missing("fhir_server");
  return out;
}

}  // namespace crdex::plugin
