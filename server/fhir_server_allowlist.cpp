#include "fhir_server_allowlist.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "api_helpers.hpp"

namespace crdex::server {

namespace {

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::string normalised_base_url(std::string_view url) {
  const auto origin = url_origin(url);
  if (origin.empty()) return {};
  const auto scheme_end = url.find("://") + 3;
  const auto path_start = url.find('/', scheme_end);
  std::string out = origin + std::string(path_start == std::string_view::npos ? "" : url.substr(path_start));
  while (out.size() > origin.size() && out.back() == '/') out.pop_back();
  return out;
}

std::string url_origin(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const auto scheme = lowered(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return {};
  const auto rest = url.substr(scheme_end + 3);
  auto authority = lowered(rest.substr(0, rest.find_first_of("/?#")));
  if (authority.empty() || authority.find('@') != std::string::npos) return {};  // no userinfo tricks
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  if (authority.size() > default_port.size() && authority.ends_with(default_port))
    authority.resize(authority.size() - default_port.size());
  return scheme + "://" + authority;
}

bool fhir_server_allowed(const TrustedClient& client, std::string_view fhir_server) {
  const auto named = normalised_base_url(fhir_server);
  if (named.empty() || fhir_server.find_first_of("?#") != std::string_view::npos) return false;
  if (!client.fhir_servers) {
    const auto own = url_origin(client.iss);
    return !own.empty() && url_origin(fhir_server) == own;
  }
  return std::any_of(client.fhir_servers->begin(), client.fhir_servers->end(),
                     [&](const std::string& listed) { return normalised_base_url(listed) == named; });
}

std::optional<std::string> named_fhir_server(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(object) != simdjson::SUCCESS)
    return std::nullopt;
  std::string_view value;
  if (object["fhirServer"].get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::string(value);
}

std::optional<ApiAnswer> refuse_unlisted_fhir_server(const TrustedClient& client, std::string_view body) {
  const auto fhir_server = named_fhir_server(body);
  if (!fhir_server || fhir_server_allowed(client, *fhir_server)) return std::nullopt;
  const std::string allowed =
      !client.fhir_servers          ? "only FHIR servers on its own origin (" + url_origin(client.iss) + ")"
      : client.fhir_servers->empty() ? "no fhirServer (send the prefetch with the call)"
                                     : "only the fhir_servers of its registration";
  return problem_answer(403, fhir::IssueType::security,
                        "fhirServer " + *fhir_server + " is not a FHIR server this CDS client may name: client " +
                            client.iss + " may name " + allowed,
                        "fhirServer");
}

}  // namespace crdex::server
