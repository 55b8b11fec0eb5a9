#include "crdex/smart/token_response.hpp"

#include <simdjson.h>

#include <strings.h>

#include "crdex/fhir/json_node.hpp"

namespace crdex::smart {

namespace {

fhir::Error bad_answer(std::string message, std::string expression) {
  return fhir::Error{502, fhir::IssueType::invalid, "token response: " + std::move(message), std::move(expression)};
}

}  // namespace

fhir::Result<TokenResponse> parse_token_response(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS)
    return bad_answer("the body is not JSON", "");
  TokenResponse t;
  try {
    const fhir::JsonNode node(root, "");
    node.expect_object();
    t.access_token = node.at("access_token").as_non_empty_string();
    t.token_type = node.at("token_type").as_non_empty_string();
    if (strcasecmp(t.token_type.c_str(), "Bearer") != 0) node.at("token_type").fail("must be Bearer");
    t.scope = node.string_or_empty("scope");
    if (auto expires = node.find("expires_in")) t.expires_in = expires->as_int();
    t.refresh_token = node.string_or_empty("refresh_token");
    t.id_token = node.string_or_empty("id_token");
    t.patient = node.string_or_empty("patient");
    t.encounter = node.string_or_empty("encounter");
    t.app_context = node.string_or_empty("appContext");
    if (auto banner = node.find("need_patient_banner")) t.need_patient_banner = banner->as_bool();
    if (auto items = node.find("fhirContext")) {
      for (const auto& item : items->items()) {
        item.expect_object();
        FhirContextItem entry{std::string(item.string_or_empty("reference")),
                              std::string(item.string_or_empty("canonical")),
                              std::string(item.string_or_empty("type")), std::string(item.string_or_empty("role"))};
        if (entry.reference.empty() && entry.canonical.empty() && !item.find("identifier"))
          item.fail("needs a reference, canonical or identifier");
        if (auto role = item.find("role"); role && role->as_string().empty()) role->fail("must not be empty");
        t.fhir_context.push_back(std::move(entry));
      }
    }
  } catch (const fhir::JsonShapeError& e) {
    return bad_answer(e.what(), e.path);
  }
  return t;
}

fhir::Error token_error(long status, std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view code, description;
  if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS) {
    if (root["error"].get(code) != simdjson::SUCCESS) code = {};
    if (root["error_description"].get(description) != simdjson::SUCCESS) description = {};
  }
  if (code.empty())
    return fhir::Error{502, fhir::IssueType::processing,
                       "the token endpoint answered HTTP " + std::to_string(status) + " without an OAuth error", ""};
  std::string message(code);
  if (!description.empty()) message += ": " + std::string(description);
  // invalid_client and friends are our credentials: 401; the rest 400-ish.
  const int http = code == "invalid_client" ? 401 : 400;
  return fhir::Error{http, fhir::IssueType::security, std::move(message), std::string(code)};
}

}  // namespace crdex::smart
