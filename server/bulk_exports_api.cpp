#include "bulk_exports_api.hpp"

#include "api_helpers.hpp"
#include "crdex/fhir/davinci_data_export.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

constexpr std::string_view kPath = "/bulk-exports";

void write_job(fhir::JsonWriter& w, const cdex::BulkJob& j) {
  w.StartObject();
  fhir::write_key(w, "id");
  fhir::write_string(w, j.id);
  fhir::write_key(w, "state");
  fhir::write_string(w, j.state);
  fhir::write_key(w, "fhirServer");
  fhir::write_string(w, j.fhir_server);
  fhir::write_optional_string(w, "group", j.group_id);
  fhir::write_key(w, "types");
  w.StartArray();
  for (const auto& t : j.types) fhir::write_string(w, t);
  w.EndArray();
  fhir::write_optional_string(w, "since", j.since);
  fhir::write_optional_string(w, "exportType", j.export_type);
  fhir::write_key(w, "createdAt");
  fhir::write_string(w, j.created_at);
  fhir::write_key(w, "updatedAt");
  fhir::write_string(w, j.updated_at);
  fhir::write_optional_string(w, "statusUrl", j.status_url);
  fhir::write_optional_string(w, "progress", j.progress);
  fhir::write_key(w, "polls");
  w.Int64(j.polls);
  fhir::write_optional_string(w, "error", j.error);
  fhir::write_optional_string(w, "transactionTime", j.transaction_time);
  fhir::write_key(w, "files");
  w.StartArray();
  for (const auto& f : j.files) {
    w.StartObject();
    fhir::write_key(w, "kind");
    fhir::write_string(w, f.kind);
    fhir::write_key(w, "type");
    fhir::write_string(w, f.type);
    fhir::write_key(w, "url");
    fhir::write_string(w, f.url);
    fhir::write_key(w, "path");
    fhir::write_string(w, f.path);
    fhir::write_key(w, "resources");
    w.Int64(f.resources);
    fhir::write_key(w, "bytes");
    w.Int64(f.bytes);
    w.EndObject();
  }
  w.EndArray();
  // An ATR export's member attribution list, once downloaded: how many of each
  // roster type it holds (the files above are the roster itself).
  if (j.export_type == fhir::kAtrExportType && j.state == "completed") {
    fhir::write_key(w, "roster");
    w.StartObject();
    for (const std::string_view type : {"Group", "Patient", "Coverage"}) {
      int64_t count = 0;
      for (const auto& f : j.files)
        if (f.kind == "output" && f.type == type) count += f.resources;
      fhir::write_key(w, type);
      w.Int64(count);
    }
    w.EndObject();
  }
  w.EndObject();
}

ApiAnswer job_answer(int status, const cdex::BulkJob& job) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  write_job(w, job);
  ApiAnswer answer{status, {buffer.GetString(), buffer.GetSize()}, false, {}};
  answer.headers.emplace_back("Location", std::string(kPath) + "/" + job.id);
  return answer;
}

ApiAnswer store_failure() {
  return problem_answer(500, fhir::IssueType::exception, "the export job store could not be read");
}

}  // namespace

std::vector<Route> BulkExportsApi::routes() const {
  using M = Http::Method;
  auto route = [](M method, std::string pattern, RouteHandler handler) {
    return Route{method, std::move(pattern), AccessPolicy::operator_bulk, std::move(handler), true, {}};
  };
  const std::string jobs(kPath), job = std::string(kPath) + "/{id}";
  return {
      route(M::Get, jobs, [this](const Http::Request&, const PathParams&) { return list(); }),
      route(M::Post, jobs, [this](const Http::Request& request, const PathParams&) { return start(request); }),
      route(M::Get, job, [this](const Http::Request&, const PathParams& p) { return show(p.get("id"), false); }),
      route(M::Delete, job, [this](const Http::Request&, const PathParams& p) { return show(p.get("id"), true); }),
  };
}

ApiAnswer BulkExportsApi::list() const {
  auto jobs = runner_->store()->list();
  if (!jobs) return store_failure();
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "jobs");
  w.StartArray();
  for (const auto& j : *jobs) write_job(w, j);
  w.EndArray();
  w.EndObject();
  return {200, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

ApiAnswer BulkExportsApi::show(const std::string& id, bool cancel) const {
  if (cancel) {
    auto cancelled = runner_->cancel(id);
    if (!cancelled) return problem_answer(cancelled.error());
  }
  auto job = runner_->store()->get(id);
  if (!job) return store_failure();
  if (!*job) return problem_answer(404, fhir::IssueType::not_found, "no export job " + id);
  return job_answer(cancel ? 202 : 200, **job);
}

ApiAnswer BulkExportsApi::start(const Http::Request& request) const {
  if (!has_json_body(request)) return problem_answer(415, fhir::IssueType::not_supported, "send JSON");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(request.body()).get(root) != simdjson::SUCCESS)
    return problem_answer(400, fhir::IssueType::structure, "the body is not JSON");
  cdex::BulkExportStart start;
  const Destination* destination = nullptr;
  try {
    const fhir::JsonNode body(root, "");
    body.expect_object();
    // The server is a configured destination: "destination" (its name), or a
    // "fhirServer" at or under its base URL.
    const auto name = body.string_or_empty("destination");
    const auto url = name.empty() ? body.at("fhirServer").as_non_empty_string() : std::string_view();
    if (!name.empty() && body.find("fhirServer")) body.fail("give \"destination\" or \"fhirServer\", not both");
    if (!destinations_)
      return problem_answer(400, fhir::IssueType::security,
                            "exports read only from configured destinations, and none is configured (--destinations)",
                            name.empty() ? "fhirServer" : "destination");
    auto chosen = destinations_->choose(name, url, name.empty() ? "fhirServer" : "destination");
    if (!chosen) return problem_answer(chosen.error());
    destination = *chosen;
    start.fhir_server = name.empty() ? std::string(url) : destination->url;
    start.group_id = std::string(body.at("group").as_non_empty_string());
    if (start.group_id.find_first_of("/?#&") != std::string::npos) body.at("group").fail("must be a Group id");
    if (const auto types = body.find("types"))
      for (const auto& t : types->items()) {
        const auto type = t.as_non_empty_string();
        if (type.find_first_of(",/?&") != std::string_view::npos) t.fail("must be a resource type");
        start.types.emplace_back(type);
      }
    start.since = std::string(body.string_or_empty("since"));
    start.export_type = std::string(body.string_or_empty("exportType"));
    // A pasted token is the fallback for a destination without a credential.
    if (!destination->has_credential()) start.access_token = std::string(body.string_or_empty("accessToken"));
  } catch (const fhir::JsonShapeError& e) {
    return problem_answer(400, fhir::IssueType::invalid, e.what(), e.path);
  }
  auto job = runner_->submit(start);
  if (!job) {
    auto error = job.error();
    if (error.http_status == 412) error.http_status = 400;  // a refused fhirServer is bad input here
    return problem_answer(error);
  }
  return job_answer(202, *job);
}

}  // namespace crdex::server
