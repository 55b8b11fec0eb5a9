// Where crdex may send an EHR's access token.

#include <algorithm>
#include <cctype>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/outbound_policy.hpp"
#include "search_pages.hpp"

namespace crdex::fhir {

namespace detail {

std::string url_origin(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return {};
  const auto authority_end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin(url.substr(0, authority_end));
  std::transform(origin.begin(), origin.begin() + static_cast<long>(scheme_end), origin.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return origin;
}

std::string join_url(std::string_view base_url, std::string_view relative) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  std::string url(base_url);
  url.append("/").append(relative);
  return url;
}

}  // namespace detail

namespace {

// The host of "scheme://[user@]host[:port]", lower-case, brackets kept for IPv6.
std::string host_of(std::string_view origin) {
  auto authority = origin.substr(origin.find("://") + 3);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    host = authority.substr(0, authority.find(']') + 1);
  } else if (auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
  }
  std::string lower(host);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "[::1]") return true;
  // 127.0.0.0/8 written as a dotted quad.
  if (!host.starts_with("127.")) return false;
  return std::all_of(host.begin(), host.end(), [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::optional<Error> check_fhir_server_url(std::string_view base_url, bool allow_plain_http) {
  const auto origin = detail::url_origin(base_url);
  const auto refused = [&](std::string why) {
    return Error{412, IssueType::security, "fhirServer " + std::string(base_url) + " " + std::move(why), "fhirServer"};
  };
  if (auto guarded = outbound_url_refusal(base_url)) return refused(*guarded);
  if (origin.starts_with("https://")) {
    if (host_of(origin).empty()) return refused("has no host");
    return std::nullopt;
  }
  if (!origin.starts_with("http://")) return refused("is not an http(s) URL");
  const auto host = host_of(origin);
  if (host.empty()) return refused("has no host");
  if (allow_plain_http || is_loopback(host)) return std::nullopt;
  return refused("uses plain http: crdex sends access tokens only over https (or to a loopback address)");
}

}  // namespace crdex::fhir
