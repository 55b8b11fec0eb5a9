#include "launch_api.hpp"

#include "api_helpers.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <cctype>
#include <fstream>

#include <spdlog/spdlog.h>

#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/store_location.hpp"
#include "crdex/fhir/token_file.hpp"
#include "crdex/fhir/operation_outcome.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

std::string sha256(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string iso_utc(std::chrono::system_clock::time_point at) {
  const auto seconds = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

ApiAnswer issued_answer(const smart::IssuedLaunch& issued) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "launch");
  fhir::write_string(w, issued.launch_id);
  fhir::write_key(w, "url");
  fhir::write_string(w, issued.url);
  fhir::write_key(w, "expiresAt");
  fhir::write_string(w, iso_utc(issued.expires_at));
  w.EndObject();
  ApiAnswer answer{201, {buffer.GetString(), buffer.GetSize()}, false, {}};
  answer.headers.emplace_back("Cache-Control", "no-store");
  return answer;
}

}  // namespace

LaunchApi::LaunchApi(std::shared_ptr<smart::LaunchStore> store, std::string_view token, std::chrono::seconds lifetime)
    : store_(std::move(store)), token_hash_(sha256(token)), lifetime_(lifetime) {}

bool LaunchApi::authorized(const Http::Request& request) const {
  const std::string token = bearer_token_of(request);
  if (token.empty()) return false;
  // Hashes have one length, so the comparison takes the same time for every
  // wrong token, whatever its length or first differing byte.
  const std::string hash = sha256(token);
  return CRYPTO_memcmp(hash.data(), token_hash_.data(), hash.size()) == 0;
}

std::vector<Route> LaunchApi::routes() const {
  auto route = [this](std::string pattern, ApiAnswer (LaunchApi::*serve)(const Http::Request&) const) {
    return Route{Http::Method::Post, std::move(pattern), AccessPolicy::smart_launch,
                 [this, serve](const Http::Request& request, const PathParams&) {
                   if (!authorized(request)) {
                     ApiAnswer answer = problem_answer(
                         401, fhir::IssueType::security,
                         "the launch API needs the authorization server's token: Authorization: Bearer <token>");
                     answer.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"crdex-smart-launch\"");
                     return answer;
                   }
                   return (this->*serve)(request);
                 },
                 true, {}};
  };
  return {route("/smart/launches", &LaunchApi::create), route("/smart/launches:resolve", &LaunchApi::resolve)};
}

ApiAnswer LaunchApi::create(const Http::Request& request) const {
  auto context = smart::read_launch_context_json(request.body());
  if (!context) return problem_answer(context.error());
  auto issued = store_->create(*context, lifetime_);
  return issued ? issued_answer(*issued) : problem_answer(issued.error());
}

ApiAnswer LaunchApi::resolve(const Http::Request& request) const {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view launch, client_id;
  if (parser.parse(request.body()).get(root) != simdjson::SUCCESS || root["launch"].get(launch) != simdjson::SUCCESS)
    return problem_answer(400, fhir::IssueType::invalid, "send {\"launch\": \"<launch id>\", \"clientId\": \"<client>\"}",
                   "launch");
  if (root["clientId"].get(client_id) != simdjson::SUCCESS) client_id = {};
  auto context = store_->resolve(launch, client_id);
  if (!context) return problem_answer(context.error());
  ApiAnswer answer{200, smart::launch_context_json(*context), false, {}};
  answer.headers.emplace_back("Cache-Control", "no-store");
  return answer;
}

fhir::Result<std::string> StoreSmartLinkLauncher::launch_url(const hooks::SmartLinkContext& context) const {
  smart::LaunchContext launch;
  launch.iss = context.fhir_server;
  launch.app_url = context.app_url;
  launch.patient = context.patient_id;
  launch.encounter = context.encounter_id;
  launch.user = context.user_id;
  launch.app_context = context.app_context;
  if (!context.order_reference.empty()) {
    const auto slash = context.order_reference.find('/');
    launch.fhir_context.push_back({context.order_reference, {}, context.order_reference.substr(0, slash), {}});
  }
  if (!context.coverage_reference.empty())
    launch.fhir_context.push_back({context.coverage_reference, {}, "Coverage", {}});
  for (const auto& questionnaire : context.questionnaires)
    launch.fhir_context.push_back({{}, questionnaire, "Questionnaire", {}});
  auto issued = store_->create(launch, lifetime_);
  if (!issued) return issued.error();
  return std::move(issued->url);
}

bool configure_smart_launch(const ServerOptions& options, FrontState& state) {
  if (options.smart_launch_token_file.empty()) return true;
  auto token = fhir::read_token_file(options.smart_launch_token_file, "--smart-launch-token");
  if (!token) {
    spdlog::critical("{}", token.error().message);
    return false;
  }
  // --store: launches.sqlite under --data, or the database replicas share.
  auto location = fhir::parse_store_location(options.store_url, options.data_dir);
  if (!location) {
    spdlog::critical("{}", location.error().message);
    return false;
  }
  auto opened = smart::open_launch_store(*location);
  if (!opened) {
    spdlog::critical("{}", opened.error().message);
    return false;
  }
  std::shared_ptr<smart::LaunchStore> store = std::move(opened).value();
  const std::chrono::seconds lifetime(options.launch_lifetime_seconds);
  state.modules.push_back(std::make_shared<LaunchApi>(store, *token, lifetime));
  state.engine->set_smart_link_launcher(std::make_shared<StoreSmartLinkLauncher>(store, lifetime));
  spdlog::info("SMART launch API on /smart/launches");
  return true;
}

}  // namespace crdex::server
