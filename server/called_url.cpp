#include "called_url.hpp"

#include <algorithm>

namespace crdex::server {

namespace {

namespace Http = Pistache::Http;

std::string trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return std::string(text);
}

// The last element of a comma-separated header, which the nearest proxy set.
std::string last_forwarded(const Http::Request& request, const std::string& name) {
  const auto raw = request.headers().tryGetRaw(name);
  if (!raw) return {};
  const std::string& value = raw->value();
  const auto comma = value.rfind(',');
  return trimmed(comma == std::string::npos ? std::string_view(value) : std::string_view(value).substr(comma + 1));
}

std::string host_header(const Http::Request& request) {
  const auto host = request.headers().tryGet<Http::Header::Host>();
  if (!host || host->host().empty()) return {};
  std::string out = host->host();
  if (out.find(':') != std::string::npos && out.front() != '[') out = "[" + out + "]";  // IPv6 literal
  const uint16_t port = host->port();
  if (port != 0 && port != 80) out += ":" + std::to_string(port);
  return out;
}

}  // namespace

std::string called_url(const Http::Request& request, const CalledUrlPolicy& policy) {
  const std::string& path = request.resource();
  if (!policy.public_url.empty()) return policy.public_url + path;
  const std::string peer = request.address().host();
  if (std::find(policy.trusted_proxies.begin(), policy.trusted_proxies.end(), peer) != policy.trusted_proxies.end()) {
    const auto proto = last_forwarded(request, "X-Forwarded-Proto");
    const auto host = last_forwarded(request, "X-Forwarded-Host");
    if ((proto == "https" || proto == "http") && !host.empty()) return proto + "://" + host + path;
  }
  return "http://" + host_header(request) + path;
}

}  // namespace crdex::server
