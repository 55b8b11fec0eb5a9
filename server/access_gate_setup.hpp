#pragma once
// Builds the front end's AccessGate from the command line: --operators,
// --authorization-servers, the module tokens it must recognise (admin, CDex,
// launch) and laptop mode (--insecure-no-client-auth). Logs every route
// family laptop mode leaves open.

#include "http_front.hpp"
#include "server_options.hpp"

namespace crdex::server {

// False (after logging why) when a file cannot be read or is invalid.
bool configure_access_gate(const ServerOptions& options, FrontState& state);

// Switches the outbound guard on (crdex/fhir/outbound_policy.hpp): the allowed
// internal addresses (--outbound-allow-address; laptop mode adds loopback,
// logged) and the configured origins (key-set URLs of CDS clients and
// authorization servers, the CDex EHR). After configure_client_auth and
// configure_access_gate.
bool configure_outbound_policy(const ServerOptions& options, const FrontState& state);

}  // namespace crdex::server
