#pragma once
// The places crdex sends to on an operator's or consumer's behalf — a payer's
// $submit-attachment (the attachments outbox), a CDex Data Source (the
// consumer's Tasks), a Bulk Data server (exports) — named in configuration
// (--destinations FILE, docs/security.md), never taken from a request body.
// A body may name a destination by its name, or give a URL that lies at or
// under a destination's base URL; anything else is refused with 400 before
// any traffic.
//
// Each destination carries its outbound credential: a SMART Backend Services
// client (private_key_jwt with crdex's key, RS384 / ES384, the token cached
// until shortly before expiry: smart/backend_services.hpp), or, as a
// fallback, a pasted static token ("token_file"). The CDex components get
// tokens through token_lookup(), when each call is made.
//
//   {"destinations": [
//     {"name": "acme", "url": "https://fhir.acme.example/r4",
//      "backend_services": {"token_url": "https://auth.acme.example/token", "client_id": "crdex",
//                           "scope": "system/DocumentReference.c", "key_file": "crdex-key.pem",
//                           "kid": "crdex-1", "algorithm": "RS384"}},
//     {"name": "legacy", "url": "https://legacy.example/fhir", "token_file": "legacy.token"}]}

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/cdex/outbound_token.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/smart/backend_services.hpp"
#include "crdex/smart/http_options.hpp"

namespace crdex::server {

struct Destination {
  std::string name;
  std::string url;  // the base URL, no trailing '/'
  std::string static_token;  // "token_file" (fallback); "" when none
  std::shared_ptr<smart::BackendServicesClient> backend_services;  // null when none
  std::string token_url;  // backend_services' token endpoint (for the outbound guard's list)

  bool has_credential() const { return backend_services || !static_token.empty(); }
  // The bearer token to send: a Backend Services token (cached or fresh), the
  // static one, or "" when the destination has no credential.
  fhir::Result<std::string> bearer_token() const;
};

class Destinations {
 public:
  // Reads the file; relative key_file / token_file paths are relative to it.
  // `http`: the Backend Services clients' time-out and plain-http rule.
  static fhir::Result<std::shared_ptr<const Destinations>> load(const std::filesystem::path& file,
                                                               smart::HttpOptions http, bool allow_plain_http);
  static fhir::Result<std::shared_ptr<const Destinations>> parse(std::string_view json,
                                                                const std::filesystem::path& base_dir,
                                                                smart::HttpOptions http, bool allow_plain_http);

  const std::vector<Destination>& all() const { return destinations_; }
  const Destination* named(std::string_view name) const;
  // The destination whose base URL `url` is, or lies under ("/..." after
  // it; the longest such base); null for any other URL, and for URLs with a query, a fragment,
  // userinfo or a dot-dot segment.
  const Destination* holding(std::string_view url) const;
  // A request body's choice: `name` when given, else `url`. 400 with an
  // OperationOutcome (expression `member`) when it names no destination.
  fhir::Result<const Destination*> choose(std::string_view name, std::string_view url, std::string_view member) const;

 private:
  std::vector<Destination> destinations_;
};

// For the CDex components: the token of the destination holding the URL
// called ("" when none holds it or it has no credential).
cdex::TokenFor token_lookup(std::shared_ptr<const Destinations> destinations);

}  // namespace crdex::server
