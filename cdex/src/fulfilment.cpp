#include "crdex/cdex/fulfilment.hpp"

#include <simdjson.h>

#include <cctype>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/reference.hpp"

namespace crdex::cdex {

namespace {

fhir::QueryAnswer query_ehr(const DataSourceOptions& options, const std::string& query) {
  const fhir::FhirServerAccess server{options.ehr_base, options.ehr_token};
  fhir::DirectQueryOptions direct;
  direct.deadline = std::chrono::steady_clock::now() + options.query_timeout;
  direct.max_pages = options.max_pages;
  direct.allow_plain_http = options.allow_plain_http;
  auto answers = fhir::run_direct_queries(server, std::span<const std::string>(&query, 1), direct);
  return std::move(answers.front());
}

// A search the Task may ask for: relative, "Type?..." or "Type/id", never a URL
// of its own (the token goes to the EHR's server and nowhere else).
bool acceptable_query(std::string_view query) {
  if (query.empty() || !std::isupper(static_cast<unsigned char>(query.front()))) return false;
  return query.find("://") == std::string_view::npos && query.find("..") == std::string_view::npos;
}

// A search parameter value as it goes into a URL: everything but unreserved
// characters and ':' '/' percent-encoded, so a member id cannot add parameters.
std::string encoded(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// A FHIR id: [A-Za-z0-9\-\.]{1,64}. Anything else is not put into a search.
bool valid_fhir_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '-' && c != '.') return false;
  return true;
}

// The patient's id at the EHR, from Task.for. Empty with `problem` set when
// it cannot be told.
std::string patient_id(const DataSourceOptions& options, const std::string& for_json, std::string& problem) {
  simdjson::dom::parser parser;
  simdjson::dom::element reference;
  if (parser.parse(for_json).get(reference) != simdjson::SUCCESS) {
    problem = "Task.for cannot be read";
    return {};
  }
  std::string_view literal;
  if (reference["reference"].get(literal) == simdjson::SUCCESS) {
    const auto parts = fhir::parse_reference(literal);
    if (parts.valid() && parts.type == "Patient" && valid_fhir_id(parts.id)) return std::string(parts.id);
  }
  std::string_view system, value;
  if (reference["identifier"]["value"].get(value) != simdjson::SUCCESS) {
    problem = "Task.for names no patient";
    return {};
  }
  if (reference["identifier"]["system"].get(system) != simdjson::SUCCESS) system = {};
  const std::string query =
      "Patient?identifier=" + (system.empty() ? encoded(value) : encoded(system) + "|" + encoded(value));
  const auto answer = query_ehr(options, query);
  if (!answer.ok()) {
    problem = "the patient could not be looked up: " + answer.problem;
    return {};
  }
  simdjson::dom::parser bundle_parser;  // `value` still views into `parser`
  simdjson::dom::element bundle;
  simdjson::dom::array entries;
  if (bundle_parser.parse(answer.body).get(bundle) != simdjson::SUCCESS || bundle["entry"].get(entries) != simdjson::SUCCESS ||
      entries.size() == 0) {
    problem = "no patient with identifier " + std::string(value) + " is known here";
    return {};
  }
  if (entries.size() > 1) {
    problem = "more than one patient has identifier " + std::string(value);
    return {};
  }
  std::string_view id;
  if (entries.at(0)["resource"]["id"].get(id) != simdjson::SUCCESS || !valid_fhir_id(id)) {
    problem = "the patient found has no usable id";
    return {};
  }
  return std::string(id);
}

// The answer as a resource the Task can contain: id "result", no meta.
std::string as_contained(const std::string& body, bool& ok) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ok = parser.parse(body).get(root) == simdjson::SUCCESS && root.is_object();
  if (!ok) return {};
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  for (auto field : root.get_object()) {
    const std::string_view key = field.key;
    if (key == "id" || key == "meta" || key == "link") continue;
    fhir::write_key(w, key);
    fhir::write_raw(w, field.value);
    if (key == "resourceType") {
      fhir::write_key(w, "id");
      fhir::write_string(w, "result");
    }
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::string mapped_query(const DataSourceOptions& options, const fhir::cdex::RequestedCode& code) {
  if (code.free_text()) return {};
  if (auto it = options.code_queries.find(code.system + "|" + code.code); it != options.code_queries.end())
    return it->second;
  if (auto it = options.code_queries.find(code.code); it != options.code_queries.end()) return it->second;
  return {};
}

Fulfilment fulfil_request(const DataSourceOptions& options, const fhir::cdex::DataRequest& request) {
  Fulfilment out;
  std::string query;
  if (request.kind == fhir::cdex::RequestKind::query) {
    query = request.query;
  } else if (request.kind == fhir::cdex::RequestKind::code) {
    query = mapped_query(options, request.code);
    const auto placeholder = query.find("{patient}");
    if (placeholder != std::string::npos) {
      const std::string id = patient_id(options, request.for_patient, out.problem);
      if (id.empty()) return out;
      query.replace(placeholder, std::string_view("{patient}").size(), id);
    }
  }
  if (!acceptable_query(query)) {
    out.problem = "the query \"" + query + "\" is not a FHIR search relative to this server";
    return out;
  }
  const auto answer = query_ehr(options, query);
  if (!answer.ok()) {
    out.problem = "the EHR's FHIR server could not answer " + query + ": " + answer.problem;
    return out;
  }
  bool ok = false;
  out.result = as_contained(answer.body, ok);
  if (!ok) {
    out.problem = "the EHR's FHIR server answered " + query + " with something that is not a FHIR resource";
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace crdex::cdex
