#pragma once
// The one outgoing HTTP(S) client. Every call crdex makes — Direct Query,
// CDex Tasks and attachments, Bulk Data, SMART token and configuration
// requests, JWKS fetches, the rules CLI — gets the same set-up: TLS 1.2+ with
// certificates and host names verified, no redirects followed (a redirect
// would carry the token elsewhere), http and https only, a time-out, a bound
// on the body kept in memory, and the bearer token in the Authorization
// header only (never logged).
//
// A blocking exchange: the caller names method, URL, headers and body; the
// answer brings status, headers (lower-case names) and the body, which may be
// streamed into a sink instead of being held in memory (NDJSON files).

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::fhir {

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string access_token;  // sent as Authorization: Bearer, never logged
  std::chrono::milliseconds timeout{30'000};           // 0: no overall limit
  std::chrono::milliseconds connect_timeout{10'000};  // at most `timeout`
  size_t max_body_bytes = 16u << 20;  // for bodies kept in memory
  // When set, the body goes here chunk by chunk (and is not kept); returning
  // false aborts the transfer.
  std::function<bool(std::string_view)> sink;
};

struct HttpAnswer {
  bool transferred = false;  // false: no HTTP answer (refused, timed out, aborted)
  bool timed_out = false;    // not transferred because `timeout` passed
  bool too_large = false;    // not transferred because the body exceeded max_body_bytes
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;
  std::string problem;  // why not transferred; safe to show
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

HttpAnswer perform_http_call(const HttpCall& call);

// The "X-Request-Id: <id>" header line that ties an outgoing call to the
// incoming request it serves (docs/operations.md), or "" when `id` is empty or
// not 1 to 128 letters, digits and . _ : - (nothing else may reach a header).
std::string request_id_header(std::string_view id);

// A Retry-After header in seconds (delta form); HTTP dates and garbage give `fallback`.
std::chrono::seconds retry_after_seconds(const std::string& value, std::chrono::seconds fallback);

}  // namespace crdex::fhir
