#include "http_exchange.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "crdex/smart/launch_context.hpp"

namespace crdex::smart::detail {

namespace {

constexpr size_t kMaxBody = 1 << 20;  // a token or configuration document is a few kB

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Collected {
  std::string body;
  HttpReply* reply = nullptr;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* collected = static_cast<Collected*>(user);
  if (collected->body.size() + size * count > kMaxBody) {
    collected->too_large = true;
    return 0;
  }
  collected->body.append(data, size * count);
  return size * count;
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* reply = static_cast<Collected*>(user)->reply;
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  const std::string value = trimmed(line.substr(colon + 1));
  if (name == "content-type") reply->content_type = value;
  else if (name == "cache-control") reply->cache_control = value;
  else if (name == "pragma") reply->pragma = value;
  return size * count;
}

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
  init_curl_once();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) return fhir::Error{500, fhir::IssueType::exception, "cannot create an HTTP client", ""};
  HttpReply reply;
  Collected collected{{}, &reply, false};
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, curl_slist_free_all);
  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &collected);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &collected);
  if (form_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form_body->c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(form_body->size()));
  }
  const CURLcode code = curl_easy_perform(h);
  if (collected.too_large)
    return fhir::Error{502, fhir::IssueType::too_costly, url + " answered more than 1 MiB", ""};
  if (code != CURLE_OK) {
    const auto type = code == CURLE_OPERATION_TIMEDOUT ? fhir::IssueType::timeout : fhir::IssueType::transient;
    return fhir::Error{code == CURLE_OPERATION_TIMEDOUT ? 504 : 502, type,
                       url + ": " + curl_easy_strerror(code), ""};
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.body = std::move(collected.body);
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
