#include "destinations.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/token_file.hpp"
#include "fhir_server_allowlist.hpp"
#include "jwks_api.hpp"

namespace crdex::server {

namespace {

using fhir::JsonNode;

std::filesystem::path relative_to(const std::filesystem::path& base_dir, std::string_view file) {
  const std::filesystem::path path{std::string(file)};
  return path.is_absolute() ? path : base_dir / path;
}

bool destination_name_ok(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// A URL a request may not smuggle past the prefix check.
bool tricky_url(std::string_view url) {
  std::string lower(url);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find_first_of("?#\\") != std::string::npos || lower.find("/../") != std::string::npos ||
         lower.ends_with("/..") || lower.find("%2e") != std::string::npos || lower.find("%2f") != std::string::npos;
}

std::shared_ptr<smart::BackendServicesClient> read_backend_services(const JsonNode& node,
                                                                    const std::filesystem::path& base_dir,
                                                                    smart::HttpOptions http, std::string& token_url) {
  node.expect_object();
  const auto key_file = node.at("key_file");
  const auto path = relative_to(base_dir, key_file.as_non_empty_string());
  std::ifstream in(path, std::ios::binary);
  std::ostringstream pem;
  pem << in.rdbuf();
  if (!in) key_file.fail("cannot read " + path.string());
  auto key = smart::SigningKey::from_pem(pem.str(), std::string(node.at("kid").as_non_empty_string()));
  if (!key) key_file.fail(key.error().message);
  auto algorithm = published_algorithm(*key);
  if (const auto named = node.find("algorithm")) {
    const auto parsed = smart::parse_jws_algorithm(named->as_string());
    if (!parsed || (*parsed != smart::JwsAlgorithm::RS384 && *parsed != smart::JwsAlgorithm::ES384))
      named->fail("must be RS384 or ES384");
    algorithm = *parsed;
  }
  smart::BackendServicesConfig config{std::string(node.at("token_url").as_non_empty_string()),
                                      std::string(node.at("client_id").as_non_empty_string()),
                                      std::string(node.at("scope").as_non_empty_string()),
                                      std::move(key).value(),
                                      algorithm,
                                      {}};
  if (const auto jku = node.find("jku")) config.jku = std::string(jku->as_non_empty_string());
  token_url = config.token_url;
  auto client = smart::BackendServicesClient::create(std::move(config), http);
  if (!client) node.fail(client.error().message);
  return std::make_shared<smart::BackendServicesClient>(std::move(client).value());
}

Destination read_destination(const JsonNode& node, const std::filesystem::path& base_dir, smart::HttpOptions http,
                             bool allow_plain_http) {
  node.expect_object();
  Destination d;
  const auto name = node.at("name");
  d.name = std::string(name.as_non_empty_string());
  if (!destination_name_ok(d.name)) name.fail("must be letters, digits, '-', '_' or '.' (at most 64)");
  const auto url = node.at("url");
  d.url = normalised_base_url(url.as_non_empty_string());
  if (d.url.empty() || tricky_url(url.as_string())) url.fail("must be an http(s) base URL without query or fragment");
  if (auto refused = fhir::check_fhir_server_url(d.url, allow_plain_http)) url.fail(refused->message);
  const auto token_file = node.find("token_file");
  const auto backend = node.find("backend_services");
  if (token_file && backend) node.fail("give \"backend_services\" or \"token_file\", not both");
  if (token_file) {
    auto token = fhir::read_token_file(relative_to(base_dir, token_file->as_non_empty_string()), "token_file");
    if (!token) token_file->fail(token.error().message);
    d.static_token = std::move(token).value();
  }
  if (backend) d.backend_services = read_backend_services(*backend, base_dir, http, d.token_url);
  return d;
}

}  // namespace

fhir::Result<std::string> Destination::bearer_token() const {
  if (backend_services) {
    auto token = backend_services->bearer_token();
    if (!token)
      return fhir::Error{502, fhir::IssueType::security,
                         "no access token from the authorization server of destination " + name + ": " +
                             token.error().message,
                         ""};
    return token;
  }
  return static_token;
}

fhir::Result<std::shared_ptr<const Destinations>> Destinations::parse(std::string_view json,
                                                                     const std::filesystem::path& base_dir,
                                                                     smart::HttpOptions http, bool allow_plain_http) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure, "not JSON", ""};
  try {
    const JsonNode top(root, "$");
    top.expect_object();
    auto destinations = std::make_shared<Destinations>();
    const auto list = top.at("destinations");
    for (const auto& node : list.items()) {
      auto d = read_destination(node, base_dir, http, allow_plain_http);
      if (destinations->named(d.name)) node.at("name").fail("names a destination already configured");
      destinations->destinations_.push_back(std::move(d));
    }
    return std::shared_ptr<const Destinations>(std::move(destinations));
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

fhir::Result<std::shared_ptr<const Destinations>> Destinations::load(const std::filesystem::path& file,
                                                                    smart::HttpOptions http, bool allow_plain_http) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return fhir::Error{400, fhir::IssueType::not_found, file.string() + ": cannot read the file", ""};
  auto loaded = parse(text.str(), file.parent_path(), http, allow_plain_http);
  if (!loaded) return fhir::Error{400, loaded.error().type, file.string() + ": " + loaded.error().message, ""};
  return loaded;
}

const Destination* Destinations::named(std::string_view name) const {
  const auto it = std::find_if(destinations_.begin(), destinations_.end(),
                               [&](const Destination& d) { return d.name == name; });
  return it == destinations_.end() ? nullptr : &*it;
}

const Destination* Destinations::holding(std::string_view url) const {
  if (tricky_url(url)) return nullptr;
  const auto wanted = normalised_base_url(url);
  if (wanted.empty()) return nullptr;
  const Destination* best = nullptr;  // the longest base holding the URL (the first of equals)
  for (const auto& d : destinations_)
    if (wanted == d.url || (wanted.size() > d.url.size() && wanted.starts_with(d.url) && wanted[d.url.size()] == '/'))
      if (!best || d.url.size() > best->url.size()) best = &d;
  return best;
}

fhir::Result<const Destination*> Destinations::choose(std::string_view name, std::string_view url,
                                                      std::string_view member) const {
  std::string configured;
  for (const auto& d : destinations_) configured += (configured.empty() ? "" : ", ") + d.name;
  if (configured.empty()) configured = "none (start crdex-server with --destinations FILE)";
  const auto refuse = [&](std::string what) -> fhir::Result<const Destination*> {
    return fhir::Error{400, fhir::IssueType::security,
                       what + ": crdex sends only to the destinations of its configuration, named or by a URL "
                              "under their base URL; configured: " + configured,
                       std::string(member)};
  };
  if (!name.empty()) {
    if (const auto* d = named(name)) return d;
    return refuse("\"" + std::string(name) + "\" is not a configured destination");
  }
  if (const auto* d = holding(url)) return d;
  return refuse(std::string(url) + " is not under a configured destination");
}

cdex::TokenFor token_lookup(std::shared_ptr<const Destinations> destinations) {
  return [destinations = std::move(destinations)](std::string_view url) -> fhir::Result<std::string> {
    const auto* d = destinations ? destinations->holding(url) : nullptr;
    if (!d) return std::string();
    return d->bearer_token();
  };
}

}  // namespace crdex::server
