#pragma once
// The set-up every outgoing libcurl transfer gets, in one place: the blocking
// client (http_client.cpp) and Direct Query's parallel transfers both call it.

#include <curl/curl.h>

#include <string_view>

#include "crdex/fhir/outbound_policy.hpp"

namespace crdex::fhir::detail {

// libcurl's global initialisation, once per process.
void init_curl_once();

// URL and headers; http(s) only; no redirects; TLS 1.2+ with peer and host
// verified; no signals; the time-outs (`timeout_ms` 0: none overall; the
// connect time-out is at most `timeout_ms`). With the outbound guard on
// (outbound_policy.hpp), every address connected to is checked; `guard`
// (owned by the caller, alive for the transfer) receives the reason of a
// refused connection.
void set_up_transfer(CURL* easy, const char* url, curl_slist* headers, long timeout_ms, long connect_timeout_ms,
                     OutboundGuardState* guard = nullptr);

// `headers` with "Authorization: Bearer <token>" appended (unchanged when the token is empty).
curl_slist* append_bearer(curl_slist* headers, std::string_view token);

}  // namespace crdex::fhir::detail
