#include "console_api.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <set>
#include <sstream>
#include <tuple>
#include <unistd.h>

#include "api_helpers.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "http_front.hpp"
#include "server_options.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

constexpr size_t kMaxConsoleFileBytes = 4 << 20;

// Scripts, styles, images and data only from crdex itself; no inline script
// or style, no framing, no plugins, forms post nowhere else.
constexpr const char* kConsolePolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void add_console_headers(ApiAnswer& answer) {
  answer.headers.emplace_back("Content-Security-Policy", kConsolePolicy);
  answer.headers.emplace_back("X-Content-Type-Options", "nosniff");
  answer.headers.emplace_back("Referrer-Policy", "no-referrer");
  answer.headers.emplace_back("Cache-Control", "no-cache");
}

std::filesystem::path executable_dir() {
  char buffer[4096];
  const ssize_t length = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (length <= 0) return {};
  return std::filesystem::path(std::string(buffer, static_cast<size_t>(length))).parent_path();
}

}  // namespace

bool ConsoleApi::servable_name(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '.') return false;
  int dots = 0;
  for (char c : name) {
    if (c == '.') ++dots;
    else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return dots == 1 && name.back() != '.';
}

std::string ConsoleApi::content_type_of(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},     {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
      {".svg", "image/svg+xml"},                 {".png", "image/png"},
      {".ico", "image/x-icon"},                  {".txt", "text/plain; charset=utf-8"},
  };
  if (!servable_name(name)) return {};
  for (const auto& [suffix, type] : kTypes)
    if (name.ends_with(suffix)) return std::string(type);
  return {};
}

std::shared_ptr<ConsoleApi> ConsoleApi::load(const std::filesystem::path& dir,
                                             std::shared_ptr<const hooks::Engine> engine, std::string& problem) {
  auto api = std::shared_ptr<ConsoleApi>(new ConsoleApi());
  api->engine_ = std::move(engine);
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  if (ec) {
    problem = dir.string() + ": " + ec.message();
    return nullptr;
  }
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    const std::string type = content_type_of(name);
    if (type.empty() || !it->is_regular_file(ec) || it->file_size(ec) > kMaxConsoleFileBytes) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) continue;
    api->files_.emplace(name, File{type, content.str()});
  }
  if (!api->files_.contains("index.html")) {
    problem = dir.string() + " has no index.html";
    return nullptr;
  }
  return api;
}

std::vector<Route> ConsoleApi::routes() const {
  return {
      // "/console/" (the front end drops the trailing '/') is the index; a
      // bare "/console" is sent to "/console/" so relative URLs resolve below it.
      Route{Http::Method::Get, "/console", AccessPolicy::public_access,
            [this](const Http::Request& request, const PathParams&) {
              if (request.resource() == "/console") {
                ApiAnswer moved{301, "", false, {{"Location", "/console/"}}};
                return moved;
              }
              return file("index.html");
            },
            false, {}},
      Route{Http::Method::Get, "/console/{file}", AccessPolicy::public_access,
            [this](const Http::Request&, const PathParams& params) { return file(params.get("file")); }, false, {}},
      // The codes the loaded rules name, for the EHR view's code search: the
      // same audience as the hook calls the page makes with them.
      Route{Http::Method::Get, "/console/api/codes", AccessPolicy::cds_client,
            [this](const Http::Request&, const PathParams&) { return codes(); }, false, {}},
      // The patients of --console-fhir-server, for the EHR view's patient
      // picker: the same audience; blocking (crdex searches that server).
      Route{Http::Method::Get, "/console/api/patients", AccessPolicy::cds_client,
            [this](const Http::Request& request, const PathParams&) { return patients(request); }, true, {}},
  };
}

ApiAnswer ConsoleApi::file(const std::string& name) const {
  const auto found = files_.find(name);
  if (found == files_.end())
    return problem_answer(404, fhir::IssueType::not_found, "the console has no file named " + name);
  ApiAnswer answer{200, found->second.body, false, {{"Content-Type", found->second.content_type}}};
  add_console_headers(answer);
  return answer;
}

ApiAnswer ConsoleApi::codes() const {
  const auto rules = engine_->rules();
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "codes");
  w.StartArray();
  std::set<std::tuple<std::string, std::string, std::string>> seen;  // payer, system, code
  for (const auto& payer : rules->payers()) {
    for (const auto& rule : payer.rules) {
      for (const auto& coding : rule.when.codes.codes) {
        if (!seen.emplace(payer.payer_id, coding.system, coding.code).second) continue;
        w.StartObject();
        fhir::write_key(w, "system");
        fhir::write_string(w, coding.system);
        fhir::write_key(w, "code");
        fhir::write_string(w, coding.code);
        fhir::write_optional_string(w, "display", coding.display);
        fhir::write_key(w, "payer");
        fhir::write_string(w, payer.payer_id);
        fhir::write_key(w, "rule");
        fhir::write_string(w, rule.id);
        fhir::write_optional_string(w, "description", rule.description);
        fhir::write_key(w, "resourceTypes");
        w.StartArray();
        for (const auto& type : rule.when.resource_types) fhir::write_string(w, type);
        w.EndArray();
        w.EndObject();
      }
    }
  }
  w.EndArray();
  w.EndObject();
  return {200, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

ApiAnswer ConsoleApi::patients(const Http::Request& request) const {
  if (!patient_search_)
    return problem_answer(404, fhir::IssueType::not_found,
                          "no FHIR server is configured for the console (crdex-server --console-fhir-server URL): "
                          "the EHR view offers the example patients only");
  std::string token;
  if (const auto raw = request.headers().tryGetRaw(std::string(kConsoleFhirTokenHeader))) token = raw->value();
  return search_console_patients(*patient_search_, query_parameter(request, "name").value_or(""), token);
}

bool configure_console(const ServerOptions& options, FrontState& state) {
  const bool chosen = !options.console_dir.empty();
  const std::filesystem::path dir =
      chosen ? options.console_dir : executable_dir().parent_path() / "share" / "crdex" / "console";
  std::string problem;
  auto console = ConsoleApi::load(dir, state.engine, problem);
  if (!console) {
    if (chosen) {
      spdlog::critical("--console-dir {}", problem);
      return false;
    }
    spdlog::info("no web console ({}); give --console-dir DIR to serve one", problem);
    return true;
  }
  if (!options.console_fhir_server.empty()) {
    std::string base = options.console_fhir_server;
    while (base.ends_with('/')) base.pop_back();
    if (auto refused = console_fhir_server_problem(base, options.fill.allow_plain_http)) {
      spdlog::critical("--console-fhir-server {}: {}", base, *refused);
      return false;
    }
    console->set_patient_search({base, options.fill.allow_plain_http, options.fill.budget, 20});
    spdlog::info("the console's EHR view lists the patients of {}", base);
  }
  spdlog::info("web console on /console/ ({} files from {})", console->file_count(), dir.string());
  state.modules.push_back(std::move(console));
  return true;
}

}  // namespace crdex::server
