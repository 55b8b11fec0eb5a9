#include "http_exchange.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "crdex/fhir/http_client.hpp"
#include "crdex/smart/launch_context.hpp"

namespace crdex::smart::detail {

namespace {

constexpr size_t kMaxBody = 1 << 20;  // a token or configuration document is a few kB

bool is_loopback_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view host = url.substr(scheme_end + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (host.starts_with("[::1]")) return true;
  host = host.substr(0, host.rfind(':') == std::string_view::npos ? host.size() : host.rfind(':'));
  return host == "localhost" || host == "127.0.0.1";
}

fhir::Result<HttpReply> perform(const std::string& url, const std::string* form_body, const HttpOptions& options) {
  if (!is_absolute_http_url(url))
    return fhir::Error{400, fhir::IssueType::invalid, "not an absolute http(s) URL: " + url, ""};
  if (!transport_allowed(url, options))
    return fhir::Error{400, fhir::IssueType::security, "refusing plain http to a server that is not loopback: " + url,
                       ""};
  fhir::HttpCall call;
  call.method = form_body ? "POST" : "GET";
  call.url = url;
  call.headers = {"Accept: application/json"};
  if (form_body) {
    call.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    call.body = *form_body;
  }
  call.timeout = options.timeout;
  call.max_body_bytes = kMaxBody;
  auto answer = fhir::perform_http_call(call);
  if (answer.too_large)
    return fhir::Error{502, fhir::IssueType::too_costly, url + " answered more than 1 MiB", ""};
  if (!answer.transferred) {
    const auto type = answer.timed_out ? fhir::IssueType::timeout : fhir::IssueType::transient;
    return fhir::Error{answer.timed_out ? 504 : 502, type, url + ": " + answer.problem, ""};
  }
  HttpReply reply;
  reply.status = answer.status;
  reply.body = std::move(answer.body);
  reply.content_type = answer.header("content-type");
  reply.cache_control = answer.header("cache-control");
  reply.pragma = answer.header("pragma");
  return reply;
}

}  // namespace

bool transport_allowed(const std::string& url, const HttpOptions& options) {
  return url.starts_with("https://") || options.allow_plain_http || is_loopback_url(url);
}

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += url_encode(name) + "=" + url_encode(value);
  }
  return out;
}

fhir::Result<HttpReply> http_get_json(const std::string& url, const HttpOptions& options) {
  return perform(url, nullptr, options);
}

fhir::Result<HttpReply> http_post_form(const std::string& url, const FormFields& fields, const HttpOptions& options) {
  const std::string body = form_encode(fields);
  return perform(url, &body, options);
}

}  // namespace crdex::smart::detail
