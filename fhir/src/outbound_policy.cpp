#include "crdex/fhir/outbound_policy.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <memory>
#include <mutex>

namespace crdex::fhir {

namespace {

struct AllowedAddress {
  int family = AF_INET;
  std::array<unsigned char, 16> bytes{};
  int port = 0;  // 0: any
};

struct CompiledPolicy {
  bool guard = false;
  std::vector<AllowedAddress> addresses;
  std::vector<std::string> origins;
};

std::mutex policy_mutex;
std::shared_ptr<const CompiledPolicy> current_policy = std::make_shared<CompiledPolicy>();

std::shared_ptr<const CompiledPolicy> policy_now() {
  std::lock_guard lock(policy_mutex);
  return current_policy;
}

std::string lower_text(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "1.2.3.4", "1.2.3.4:80", "::1", "[::1]", "[::1]:80".
std::optional<AllowedAddress> parse_allowed(std::string_view text) {
  AllowedAddress out;
  std::string host(text);
  std::string port;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string::npos) return std::nullopt;
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return std::nullopt;
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    port = host.substr(host.find(':') + 1);
    host = host.substr(0, host.find(':'));
  }
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(c); }))
      return std::nullopt;
    out.port = std::stoi(port);
    if (out.port < 1 || out.port > 65535) return std::nullopt;
  }
  if (inet_pton(AF_INET, host.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET;
  } else if (inet_pton(AF_INET6, host.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  return out;
}

// The kind of an internal IPv4 address, or "" for a public one.
std::string_view v4_kind(const unsigned char* b) {
  if (b[0] == 127) return "loopback";
  if (b[0] == 169 && b[1] == 254) return "link-local";
  if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168)) return "private";
  if (b[0] == 100 && (b[1] & 0xc0) == 64) return "shared (carrier-grade NAT)";
  if (b[0] == 0) return "unspecified";
  if (b[0] >= 224) return "multicast or reserved";
  return "";
}

std::string_view v6_kind(const unsigned char* b) {
  static constexpr unsigned char kZero[16] = {};
  if (std::memcmp(b, kZero, 15) == 0 && (b[15] == 1 || b[15] == 0)) return b[15] == 1 ? "loopback" : "unspecified";
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMapped, 12) == 0) return v4_kind(b + 12);
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  if ((b[0] & 0xfe) == 0xfc) return "unique-local (private)";
  if (b[0] == 0xff) return "multicast";
  return "";
}

bool allowed_by(const CompiledPolicy& policy, int family, const unsigned char* bytes, int port) {
  const size_t size = family == AF_INET ? 4 : 16;
  return std::any_of(policy.addresses.begin(), policy.addresses.end(), [&](const AllowedAddress& a) {
    return a.family == family && std::memcmp(a.bytes.data(), bytes, size) == 0 && (a.port == 0 || a.port == port);
  });
}

std::string refusal_text(std::string_view shown, std::string_view kind) {
  return std::string(shown) + " is a " + std::string(kind) +
         " address: crdex calls only public addresses unless it is configured as allowed";
}

// scheme://host[:port], lower-case, from a URL; "" when it has none.
std::string origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const auto rest = url.substr(scheme_end + 3);
  const auto end = rest.find_first_of("/?#");
  return lower_text(url.substr(0, scheme_end + 3 + (end == std::string_view::npos ? rest.size() : end)));
}

}  // namespace

bool set_outbound_policy(const OutboundPolicy& policy, std::string* error) {
  auto compiled = std::make_shared<CompiledPolicy>();
  compiled->guard = policy.guard;
  for (const auto& text : policy.allowed_addresses) {
    auto parsed = parse_allowed(text);
    if (!parsed) {
      if (error) *error = "\"" + text + "\" is not an IP address with an optional port";
      return false;
    }
    compiled->addresses.push_back(*parsed);
  }
  for (const auto& origin : policy.configured_origins) compiled->origins.push_back(origin_of(origin));
  std::lock_guard lock(policy_mutex);
  current_policy = std::move(compiled);
  return true;
}

std::optional<std::string> outbound_url_refusal(std::string_view url) {
  const auto policy = policy_now();
  if (!policy->guard) return std::nullopt;
  const std::string origin = origin_of(url);
  if (!origin.starts_with("http://") && !origin.starts_with("https://")) return "is not an http(s) URL";
  if (std::find(policy->origins.begin(), policy->origins.end(), origin) != policy->origins.end()) return std::nullopt;
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  const std::string text(url);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return "is not a valid URL";
  char* host_part = nullptr;
  char* port_part = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &host_part, 0) != CURLUE_OK) return "has no host";
  std::string host = lower_text(host_part);
  curl_free(host_part);
  int port = 0;
  if (curl_url_get(parsed.get(), CURLUPART_PORT, &port_part, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    port = std::atoi(port_part);
    curl_free(port_part);
  }
  while (host.ends_with('.')) host.pop_back();
  if (host == "localhost" || host.ends_with(".localhost")) {
    const unsigned char loopback[4] = {127, 0, 0, 1};
    if (allowed_by(*policy, AF_INET, loopback, port)) return std::nullopt;
    return "names localhost: " + refusal_text("it", "loopback");
  }
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  unsigned char bytes[16] = {};
  std::string_view kind;
  int family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), bytes) == 1) {
    kind = v4_kind(bytes);
  } else if (inet_pton(AF_INET6, host.c_str(), bytes) == 1) {
    family = AF_INET6;
    kind = v6_kind(bytes);
  } else {
    return std::nullopt;  // a name: checked on the address it resolves to, at connect
  }
  if (kind.empty() || allowed_by(*policy, family, bytes, port)) return std::nullopt;
  return refusal_text(host + ":" + std::to_string(port), kind);
}

namespace detail {

bool outbound_guard_on() { return policy_now()->guard; }

bool outbound_origin_configured(std::string_view url) {
  const auto policy = policy_now();
  const std::string origin = origin_of(url);
  return std::find(policy->origins.begin(), policy->origins.end(), origin) != policy->origins.end();
}

std::optional<std::string> outbound_address_refusal(const sockaddr* address) {
  const auto policy = policy_now();
  if (!policy->guard) return std::nullopt;
  char shown[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    const auto* bytes = reinterpret_cast<const unsigned char*>(&v4->sin_addr);
    const auto kind = v4_kind(bytes);
    const int port = ntohs(v4->sin_port);
    if (kind.empty() || allowed_by(*policy, AF_INET, bytes, port)) return std::nullopt;
    inet_ntop(AF_INET, &v4->sin_addr, shown, sizeof shown);
    return "the name resolved to " + refusal_text(std::string(shown) + ":" + std::to_string(port), kind);
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    const auto* bytes = reinterpret_cast<const unsigned char*>(&v6->sin6_addr);
    const auto kind = v6_kind(bytes);
    const int port = ntohs(v6->sin6_port);
    if (kind.empty() || allowed_by(*policy, AF_INET6, bytes, port)) return std::nullopt;
    inet_ntop(AF_INET6, &v6->sin6_addr, shown, sizeof shown);
    return "the name resolved to " + refusal_text("[" + std::string(shown) + "]:" + std::to_string(port), kind);
  }
  return "the address family is not IP";
}

}  // namespace detail

}  // namespace crdex::fhir
