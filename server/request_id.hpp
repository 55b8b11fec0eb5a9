#pragma once
// The request id (X-Request-Id) that ties an answer to crdex's log lines:
// the caller's own when it sends a usable one (1 to 128 characters of
// letters, digits and . _ : -; anything else could forge log lines or carry
// data), otherwise one made here (32 random hex digits). The front end
// echoes it in every answer and prefixes the access log line with it.

#include <pistache/http.h>

#include <string>
#include <string_view>

namespace crdex::server {

inline constexpr std::string_view kRequestIdHeader = "X-Request-Id";

// True when `id` may be taken as it is.
bool usable_request_id(std::string_view id);

// A fresh id: 32 lower-case hex digits from the system's random source.
std::string new_request_id();

// The request's usable X-Request-Id, or a fresh one.
std::string request_id_of(const Pistache::Http::Request& request);

}  // namespace crdex::server
