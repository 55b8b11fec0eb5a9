// GET of a JWK Set through the one outgoing HTTP client (TLS verified, no
// redirects, http and https only). The URL was checked when the clients file
// was read (https, or http to loopback).

#include "crdex/fhir/http_client.hpp"
#include "jwks_cache.hpp"
#include "request_log_context.hpp"

namespace crdex::server {

namespace {

constexpr size_t kMaxJwksBytes = 256 * 1024;
constexpr std::chrono::milliseconds kJwksTimeout{3000};

fhir::Error jwks_fetch_failed(std::string why) { return {401, fhir::IssueType::security, std::move(why), ""}; }

}  // namespace

fhir::Result<std::string> fetch_jwks_over_http(const std::string& url) {
  fhir::HttpCall call;
  call.url = url;
  call.timeout = kJwksTimeout;
  call.max_body_bytes = kMaxJwksBytes;
  // Fetched while a call is authenticated: the request it serves is named
  // (request_log_context.hpp), as on every outgoing call made for a request.
  if (auto id = fhir::request_id_header(current_request_id()); !id.empty()) call.headers.push_back(std::move(id));
  auto answer = fhir::perform_http_call(call);
  if (answer.too_large) return jwks_fetch_failed("the key set is larger than 256 KiB");
  if (!answer.transferred) return jwks_fetch_failed(answer.problem);
  if (answer.status != 200) return jwks_fetch_failed("HTTP status " + std::to_string(answer.status));
  return std::move(answer.body);
}

}  // namespace crdex::server
