#pragma once
// The HTTP front's admission checks, run before any handler, in this order:
// CORS (which origins may read answers), the access gate (every policy but
// the CDS client JWT), the CDS client JWT (CDS Hooks §Trusting CDS Clients)
// and the per-caller rate limit. Each returns the refusal to send, or
// nullopt when the call may go on. A check that needs a key set fetched
// first says so through `pending` when it may not fetch (on an event thread),
// and the front runs it again on a worker.

#include <pistache/http.h>

#include <optional>
#include <string>

#include "front_answer.hpp"
#include "http_front.hpp"

namespace crdex::server {

// The Access-Control-* headers for the request's Origin, when it is on the
// configured list; `preflight` tells whether this is a CORS preflight.
HeaderList cors_headers(const Pistache::Http::Request& request, const FrontState& state, bool& preflight);

// The CDS client JWT. An accepted token's (issuer, jti) go to `held`
// (settled when the answer is sent).
std::optional<Answer> check_client(const Pistache::Http::Request& request, const FrontState& state, bool may_fetch,
                                   bool& pending, std::string& caller_key, PathParams& params, Answer& held);

// The access gate (access_gate.hpp), with `params` told who the caller is.
std::optional<Answer> check_gate(const Pistache::Http::Request& request, const Route& found, const FrontState& state,
                                 bool may_fetch, bool& pending, PathParams& params, std::string& caller_key);

// Over its rate limit, an identified caller gets 429 with Retry-After.
std::optional<Answer> check_rate(const FrontState& state, const std::string& caller_key);

}  // namespace crdex::server
