// Bulk Data 2.0 kick-off, status, cancel and file download (one HTTP
// exchange each; the caller schedules them).

#include "crdex/fhir/bulk_export.hpp"
#include "crdex/fhir/davinci_data_export.hpp"

#include <simdjson.h>

#include <cctype>
#include <cstdio>
#include <memory>

#include "../direct_query/search_pages.hpp"
#include "crdex/fhir/http_client.hpp"
#include "crdex/fhir/direct_query.hpp"

namespace crdex::fhir {

namespace {

std::string escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// The diagnostics of an OperationOutcome body, or the body's start.
std::string outcome_text(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root) == simdjson::SUCCESS) {
    simdjson::dom::array issues;
    if (root["issue"].get(issues) == simdjson::SUCCESS) {
      std::string text;
      for (auto issue : issues) {
        std::string_view d;
        if (issue["diagnostics"].get(d) == simdjson::SUCCESS) text += (text.empty() ? "" : "; ") + std::string(d);
      }
      if (!text.empty()) return text;
    }
  }
  return body.substr(0, 200);
}

BulkStep failed(int status, IssueType type, std::string message) {
  BulkStep step;
  step.kind = BulkStep::Kind::failed;
  step.error = Error{status, type, std::move(message), ""};
  return step;
}

HttpCall call_for(const BulkServer& server, std::string method, std::string url) {
  HttpCall call;
  call.method = std::move(method);
  call.url = std::move(url);
  call.access_token = server.access_token;
  call.timeout = server.timeout;
  call.headers = {"Accept: application/fhir+json"};
  return call;
}

// 429 and 503-with-Retry-After mean "not now"; the caller waits and asks again.
std::optional<BulkStep> throttled(const HttpAnswer& answer) {
  const bool unavailable = answer.status == 503 && !answer.header("retry-after").empty();
  if (answer.status != 429 && !unavailable) return std::nullopt;
  BulkStep step;
  step.kind = BulkStep::Kind::retry_later;
  step.retry_after = retry_after_seconds(answer.header("retry-after"), std::chrono::seconds(1));
  return step;
}

}  // namespace

std::string bulk_kick_off_url(const BulkServer& server, const BulkExportRequest& request) {
  const std::string operation = request.export_type.empty() ? "$export" : std::string(kDavinciDataExport);
  std::string url = request.group_id.empty()
                        ? detail::join_url(server.base_url, operation)
                        : detail::join_url(server.base_url, "Group/" + escape(request.group_id) + "/" + operation);
  char separator = '?';
  auto add = [&](std::string_view name, std::string_view value) {
    url.push_back(separator);
    url.append(name).append("=").append(escape(value));
    separator = '&';
  };
  if (!request.export_type.empty()) add("exportType", request.export_type);
  add("_outputFormat", "application/fhir+ndjson");
  if (!request.types.empty()) {
    std::string joined;
    for (const auto& t : request.types) joined += (joined.empty() ? "" : ",") + t;
    add("_type", joined);
  }
  if (!request.since.empty()) add("_since", request.since);
  return url;
}

BulkStep bulk_kick_off(const BulkServer& server, const BulkExportRequest& request) {
  if (auto refused = check_fhir_server_url(server.base_url, server.allow_plain_http))
    return failed(refused->http_status, refused->type, refused->message);
  if (auto refused = check_davinci_export(request); !refused)
    return failed(refused.error().http_status, refused.error().type, refused.error().message);
  auto call = call_for(server, "GET", bulk_kick_off_url(server, request));
  call.headers.push_back("Prefer: respond-async");
  const auto answer = perform_http_call(call);
  if (!answer.transferred) return failed(502, IssueType::transient, "kick-off got no answer: " + answer.problem);
  if (auto step = throttled(answer)) return *step;
  if (answer.status != 202)
    return failed(static_cast<int>(answer.status), IssueType::processing,
                  "kick-off answered " + std::to_string(answer.status) + ": " + outcome_text(answer.body));
  BulkStep step;
  step.kind = BulkStep::Kind::accepted;
  step.status_url = answer.header("content-location");
  if (step.status_url.empty() || detail::url_origin(step.status_url).empty())
    return failed(502, IssueType::processing, "kick-off answered 202 without an absolute Content-Location");
  return step;
}

BulkStep bulk_poll(const BulkServer& server, const std::string& status_url) {
  if (auto refused = check_fhir_server_url(status_url, server.allow_plain_http))
    return failed(refused->http_status, refused->type, refused->message);
  const auto answer = perform_http_call(call_for(server, "GET", status_url));
  if (!answer.transferred) {
    BulkStep step = failed(502, IssueType::transient, "status poll got no answer: " + answer.problem);
    return step;
  }
  if (auto step = throttled(answer)) return *step;
  BulkStep step;
  if (answer.status == 202) {
    step.kind = BulkStep::Kind::in_progress;
    if (!answer.header("retry-after").empty())
      step.retry_after = retry_after_seconds(answer.header("retry-after"), std::chrono::seconds(1));
    step.progress = answer.header("x-progress").substr(0, 100);
    return step;
  }
  if (answer.status == 200) {
    step.kind = BulkStep::Kind::complete;
    step.manifest_json = answer.body;
    return step;
  }
  // A transient issue means the poll failed, not the job: the caller retries.
  const bool transient = answer.body.find("\"transient\"") != std::string::npos || answer.status >= 500;
  return failed(static_cast<int>(answer.status), transient ? IssueType::transient : IssueType::processing,
                "the export failed (" + std::to_string(answer.status) + "): " + outcome_text(answer.body));
}

Result<bool> bulk_cancel(const BulkServer& server, const std::string& status_url) {
  if (auto refused = check_fhir_server_url(status_url, server.allow_plain_http)) return *refused;
  const auto answer = perform_http_call(call_for(server, "DELETE", status_url));
  if (!answer.transferred) return Error{502, IssueType::transient, "cancel got no answer: " + answer.problem, ""};
  if (answer.status == 202 || answer.status == 200 || answer.status == 204 || answer.status == 404) return true;
  return Error{502, IssueType::processing,
               "cancel answered " + std::to_string(answer.status) + ": " + outcome_text(answer.body), ""};
}

Result<DownloadedFile> bulk_download(const BulkServer& server, const BulkFileRef& file, bool send_token,
                                     const std::filesystem::path& path) {
  if (auto refused = check_fhir_server_url(file.url, server.allow_plain_http)) return *refused;
  std::unique_ptr<FILE, decltype(&std::fclose)> out(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!out) return Error{500, IssueType::exception, "cannot write " + path.string(), ""};

  DownloadedFile done{path, 0, 0};
  std::string line;  // only the line being received is held
  std::string problem;
  simdjson::dom::parser parser;
  auto check_line = [&]() {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return true;
    simdjson::dom::element resource;
    std::string_view type;
    if (parser.parse(line).get(resource) != simdjson::SUCCESS || resource["resourceType"].get(type) != simdjson::SUCCESS) {
      problem = "line " + std::to_string(done.resources + 1) + " of " + file.url + " is not a FHIR resource";
      return false;
    }
    if (type != file.type) {
      problem = file.url + " holds a " + std::string(type) + " in a file of " + file.type;
      return false;
    }
    ++done.resources;
    return true;
  };

  auto call = call_for(server, "GET", file.url);
  call.headers = {"Accept: application/fhir+ndjson"};
  if (!send_token) call.access_token.clear();
  call.sink = [&](std::string_view chunk) {
    if (std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size()) return false;
    done.bytes += static_cast<int64_t>(chunk.size());
    for (char c : chunk) {
      if (c != '\n') {
        line.push_back(c);
        continue;
      }
      if (!check_line()) return false;
      line.clear();
    }
    return true;
  };
  const auto answer = perform_http_call(call);
  bool ok = answer.transferred && answer.status == 200 && problem.empty() && check_line();
  if (std::fclose(out.release()) != 0) ok = false;
  if (!ok) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    if (!problem.empty()) return Error{502, IssueType::processing, problem, ""};
    if (!answer.transferred) return Error{502, IssueType::transient, "download of " + file.url + " failed: " + answer.problem, ""};
    return Error{502, IssueType::processing, "download of " + file.url + " answered " + std::to_string(answer.status), ""};
  }
  return done;
}

}  // namespace crdex::fhir
