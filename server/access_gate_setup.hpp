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

}  // namespace crdex::server
