#include "crdex/smart/launch_context.hpp"

#include <simdjson.h>

#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::smart {

namespace {

bool has_fragment(std::string_view url) { return url.find('#') != std::string_view::npos; }

void write_item(fhir::JsonWriter& w, const FhirContextItem& item) {
  w.StartObject();
  fhir::write_optional_string(w, "reference", item.reference);
  fhir::write_optional_string(w, "canonical", item.canonical);
  fhir::write_optional_string(w, "type", item.type);
  fhir::write_optional_string(w, "role", item.role);
  w.EndObject();
}

}  // namespace

bool is_absolute_http_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) rest = url.substr(8);
  else if (url.starts_with("http://")) rest = url.substr(7);
  else return false;
  const auto host_end = rest.find_first_of("/?#");
  const auto host = rest.substr(0, host_end);
  if (host.empty() || host.front() == ':' || host.find('@') != std::string_view::npos) return false;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\') return false;
  return true;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

std::string launch_url(std::string_view app_url, std::string_view launch_id, std::string_view iss) {
  const auto hash = app_url.find('#');
  const std::string_view fragment = hash == std::string_view::npos ? std::string_view() : app_url.substr(hash);
  std::string url(app_url.substr(0, hash));
  if (url.find('?') == std::string::npos) url += '?';
  else if (url.back() != '?' && url.back() != '&') url += '&';
  url += "launch=" + url_encode(launch_id) + "&iss=" + url_encode(iss);
  url += fragment;
  return url;
}

fhir::Result<LaunchContext> checked_launch_context(LaunchContext context) {
  if (!is_absolute_http_url(context.iss) || has_fragment(context.iss))
    return fhir::Error::invalid("iss must be the EHR's FHIR base, an absolute http(s) URL without a fragment", "iss");
  if (!is_absolute_http_url(context.app_url))
    return fhir::Error::invalid("appUrl must be the app's absolute http(s) launch URL", "appUrl");
  if (context.patient.empty()) return fhir::Error::invalid("a launch needs the patient in context", "patient");
  for (size_t i = 0; i < context.fhir_context.size(); ++i) {
    const auto& item = context.fhir_context[i];
    const std::string where = "fhirContext[" + std::to_string(i) + "]";
    if (item.reference.empty() && item.canonical.empty())
      return fhir::Error::invalid(where + " needs a reference or a canonical", where);
  }
  return context;
}

fhir::Result<LaunchContext> read_launch_context_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS)
    return fhir::Error::invalid("the body is not JSON", "");
  LaunchContext context;
  try {
    const fhir::JsonNode node(root, "");
    node.expect_object();
    context.iss = node.string_or_empty("iss");
    context.app_url = node.string_or_empty("appUrl");
    context.client_id = node.string_or_empty("clientId");
    context.patient = node.string_or_empty("patient");
    context.encounter = node.string_or_empty("encounter");
    context.user = node.string_or_empty("fhirUser");
    context.app_context = node.string_or_empty("appContext");
    if (auto items = node.find("fhirContext")) {
      for (const auto& item : items->items()) {
        item.expect_object();
        FhirContextItem entry{std::string(item.string_or_empty("reference")),
                              std::string(item.string_or_empty("canonical")),
                              std::string(item.string_or_empty("type")), std::string(item.string_or_empty("role"))};
        if (auto role = item.find("role"); role && role->as_string().empty())
          role->fail("must not be empty (leave it out for the default role \"launch\")");
        context.fhir_context.push_back(std::move(entry));
      }
    }
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error::invalid(e.what(), e.path);
  }
  return checked_launch_context(std::move(context));
}

std::string launch_context_json(const LaunchContext& context) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_optional_string(w, "iss", context.iss);
  fhir::write_optional_string(w, "appUrl", context.app_url);
  fhir::write_optional_string(w, "clientId", context.client_id);
  fhir::write_optional_string(w, "patient", context.patient);
  fhir::write_optional_string(w, "encounter", context.encounter);
  fhir::write_optional_string(w, "fhirUser", context.user);
  if (!context.fhir_context.empty()) {
    fhir::write_key(w, "fhirContext");
    w.StartArray();
    for (const auto& item : context.fhir_context) write_item(w, item);
    w.EndArray();
  }
  fhir::write_optional_string(w, "appContext", context.app_context);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::smart
