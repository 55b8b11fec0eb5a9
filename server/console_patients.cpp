#include "console_patients.hpp"

#include <simdjson.h>

#include <array>
#include <vector>

#include "api_helpers.hpp"
#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/smart/launch_context.hpp"  // url_encode

namespace crdex::server {

namespace {

constexpr size_t kMaxPatientNameQuery = 100;

std::string_view console_string_of(simdjson::dom::element element, std::string_view key) {
  std::string_view value;
  if (element[key].get_string().get(value) != simdjson::SUCCESS) return {};
  return value;
}

// The name a person reads: the official one, else the first that is not old;
// its text, else the given names and the family name.
std::string console_patient_name(simdjson::dom::element patient) {
  simdjson::dom::array names;
  if (patient["name"].get_array().get(names) != simdjson::SUCCESS) return {};
  std::optional<simdjson::dom::element> chosen;
  for (auto name : names)
    if (console_string_of(name, "use") == "official") {
      chosen = name;
      break;
    }
  if (!chosen)
    for (auto name : names)
      if (console_string_of(name, "use") != "old") {
        chosen = name;
        break;
      }
  if (!chosen) return {};
  if (auto text = console_string_of(*chosen, "text"); !text.empty()) return std::string(text);
  std::string joined;
  simdjson::dom::array given;
  if ((*chosen)["given"].get_array().get(given) == simdjson::SUCCESS)
    for (auto part : given) {
      std::string_view value;
      if (part.get_string().get(value) != simdjson::SUCCESS || value.empty()) continue;
      if (!joined.empty()) joined.push_back(' ');
      joined.append(value);
    }
  if (auto family = console_string_of(*chosen, "family"); !family.empty()) {
    if (!joined.empty()) joined.push_back(' ');
    joined.append(family);
  }
  return joined;
}

void write_console_patient(fhir::JsonWriter& w, simdjson::dom::element patient, std::string_view id) {
  w.StartObject();
  fhir::write_key(w, "id");
  fhir::write_string(w, id);
  fhir::write_optional_string(w, "name", console_patient_name(patient));
  fhir::write_optional_string(w, "birthDate", console_string_of(patient, "birthDate"));
  fhir::write_optional_string(w, "gender", console_string_of(patient, "gender"));
  fhir::write_key(w, "identifiers");
  w.StartArray();
  simdjson::dom::array identifiers;
  if (patient["identifier"].get_array().get(identifiers) == simdjson::SUCCESS)
    for (auto identifier : identifiers) {
      const auto value = console_string_of(identifier, "value");
      if (value.empty()) continue;
      const auto system = console_string_of(identifier, "system");
      fhir::write_string(w, system.empty() ? std::string(value) : std::string(system) + "|" + std::string(value));
    }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::optional<std::string> console_fhir_server_problem(std::string_view url, bool allow_plain_http) {
  if (auto refused = fhir::check_fhir_server_url(url, allow_plain_http)) return refused->message;
  return std::nullopt;
}

std::optional<std::string> console_patient_list(std::string_view fhir_server, std::string_view bundle_json,
                                                size_t at_most) {
  simdjson::dom::parser parser;
  simdjson::dom::element bundle;
  if (parser.parse(simdjson::padded_string(bundle_json)).get(bundle) != simdjson::SUCCESS) return std::nullopt;
  if (console_string_of(bundle, "resourceType") != "Bundle") return std::nullopt;
  bool more = false;
  simdjson::dom::array links;
  if (bundle["link"].get_array().get(links) == simdjson::SUCCESS)
    for (auto link : links)
      if (console_string_of(link, "relation") == "next") more = true;

  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "fhirServer");
  fhir::write_string(w, fhir_server);
  fhir::write_key(w, "patients");
  w.StartArray();
  size_t listed = 0;
  simdjson::dom::array entries;
  if (bundle["entry"].get_array().get(entries) == simdjson::SUCCESS)
    for (auto entry : entries) {
      simdjson::dom::element patient;
      if (entry["resource"].get(patient) != simdjson::SUCCESS) continue;
      const auto id = console_string_of(patient, "id");
      if (console_string_of(patient, "resourceType") != "Patient" || id.empty()) continue;
      if (listed == at_most) {
        more = true;
        break;
      }
      write_console_patient(w, patient, id);
      ++listed;
    }
  w.EndArray();
  fhir::write_key(w, "more");
  w.Bool(more);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

ApiAnswer search_console_patients(const ConsolePatientSearch& search, std::string_view name,
                                  std::string_view access_token) {
  if (name.size() > kMaxPatientNameQuery)
    return problem_answer(400, fhir::IssueType::value,
                          "name is longer than " + std::to_string(kMaxPatientNameQuery) + " characters", "name");
  std::string query = "Patient?_count=" + std::to_string(search.count);
  if (!name.empty()) query += "&name=" + smart::url_encode(name);
  const std::array<std::string, 1> queries{query};
  fhir::DirectQueryOptions options;
  options.deadline = std::chrono::steady_clock::now() + search.timeout;
  options.max_pages = 1;
  options.allow_plain_http = search.allow_plain_http;
  options.max_page_bytes = 4u << 20;
  const auto answers = fhir::run_direct_queries({search.fhir_server, access_token}, queries, options);
  const auto& answer = answers.front();
  const std::string where = "the console's FHIR server " + search.fhir_server;
  using Outcome = fhir::QueryAnswer::Outcome;
  switch (answer.outcome) {
    case Outcome::ok:
      break;
    case Outcome::timed_out:
      return problem_answer(504, fhir::IssueType::timeout, where + " did not answer the Patient search in time");
    case Outcome::http_error:
      return problem_answer(502, fhir::IssueType::transient,
                            where + " answered the Patient search with HTTP " + std::to_string(answer.http_status) +
                                (answer.http_status == 401 || answer.http_status == 403
                                     ? " (give the page an access token for it)"
                                     : ""));
    case Outcome::unreachable:
    case Outcome::invalid:
      return problem_answer(502, fhir::IssueType::transient,
                            where + " could not be searched for patients: " + answer.problem);
  }
  auto list = console_patient_list(search.fhir_server, answer.body, static_cast<size_t>(search.count));
  if (!list)
    return problem_answer(502, fhir::IssueType::transient, where + " did not answer the Patient search with a Bundle");
  return {200, std::move(*list), false, {{"Cache-Control", "no-store"}}};
}

}  // namespace crdex::server
