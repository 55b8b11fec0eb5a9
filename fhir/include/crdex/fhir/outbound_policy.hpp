#pragma once
// Where crdex may send requests (server-side request forgery defence). A
// process-wide policy the one HTTP client applies to every transfer:
//   - URLs naming a loopback, link-local, private, unique-local, unspecified
//     or multicast address literally (or "localhost") are refused before any
//     traffic (check_fhir_server_url reports it as an OperationOutcome);
//   - every connection is checked again on the address libcurl actually
//     connects to (CURLOPT_OPENSOCKETFUNCTION): a name that resolves to an
//     internal address is refused there, whatever DNS answers later, so
//     DNS rebinding cannot slip past the first check;
//   - "unless configured": addresses listed in `allowed_addresses` ("10.1.2.3",
//     "127.0.0.1:8090", "[::1]:9000"; no port: any port) are allowed, and so is
//     every connection of a URL whose origin is in `configured_origins` (the
//     destinations the operator wrote in crdex's configuration: key-set URLs,
//     the CDex EHR).
// Redirects are never followed (http_client.hpp). The guard is off by default
// (the plugin's host, the rules CLI and unit tests decide for themselves);
// crdex-server switches it on at start.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sockaddr;

namespace crdex::fhir {

struct OutboundPolicy {
  bool guard = false;
  std::vector<std::string> allowed_addresses;
  std::vector<std::string> configured_origins;  // "https://host[:port]" (the port as written)
};

// Replaces the policy (crdex-server: once at start). False, with `error`, for
// an allowed address that is not an IP address with an optional port.
bool set_outbound_policy(const OutboundPolicy& policy, std::string* error = nullptr);

// Why `url` may not be called (a literal internal address, "localhost", a
// scheme other than http / https), or nullopt. Names are checked at connect.
std::optional<std::string> outbound_url_refusal(std::string_view url);

namespace detail {

// Per transfer: whether its URL's origin was configured, and why a connection was refused.
struct OutboundGuardState {
  bool configured_origin = false;
  std::string refusal;
};

// Why a connection to `address` is refused under the current policy, or nullopt.
std::optional<std::string> outbound_address_refusal(const sockaddr* address);
bool outbound_guard_on();
bool outbound_origin_configured(std::string_view url);

}  // namespace detail

}  // namespace crdex::fhir
