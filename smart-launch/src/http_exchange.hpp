#pragma once
// One blocking HTTP exchange for the SMART clients (fhir's one HTTP client): GET a JSON
// document or POST a form, no redirects, bounded by a time-out.

#include <string>
#include <utility>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/smart/http_options.hpp"

namespace crdex::smart::detail {

struct HttpReply {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string cache_control;
  std::string pragma;
};

using FormFields = std::vector<std::pair<std::string, std::string>>;

// GET `url` with Accept: application/json.
fhir::Result<HttpReply> http_get_json(const std::string& url, const HttpOptions& options);
// POST `fields` as application/x-www-form-urlencoded.
fhir::Result<HttpReply> http_post_form(const std::string& url, const FormFields& fields, const HttpOptions& options);

// application/x-www-form-urlencoded encoding of `fields`.
std::string form_encode(const FormFields& fields);

// Whether `url` may be used: https, or http to loopback (or anywhere when allowed).
bool transport_allowed(const std::string& url, const HttpOptions& options);

}  // namespace crdex::smart::detail
