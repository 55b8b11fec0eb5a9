#pragma once
// The one reader of `Authorization: Bearer <token>` (RFC 6750 §2.1): the
// scheme is case-insensitive (RFC 7235), spaces around the token are ignored.
// Every credential the server takes in that header (CDS client JWT, publisher,
// admin, launch and CDex tokens) is read here.

#include <pistache/http.h>

#include <optional>
#include <string>
#include <string_view>

namespace crdex::server {

// The token of an Authorization header value, or nullopt (other scheme, no token).
std::optional<std::string_view> bearer_token(std::string_view authorization);

// The request's bearer token, or "" when it has none.
std::string bearer_token_of(const Pistache::Http::Request& request);

}  // namespace crdex::server
