// GET of a JWK Set with libcurl. The URL was checked when the clients file
// was read (https, or http to loopback); here the protocols are pinned again
// so a redirect or a crafted URL cannot switch to another scheme.

#include <curl/curl.h>

#include "jwks_cache.hpp"

namespace crdex::server {

namespace {

constexpr size_t kMaxJwksBytes = 256 * 1024;
constexpr long kTimeoutMs = 3000;

struct Sink {
  std::string body;
  bool too_large = false;
};

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t bytes = size * count;
  if (sink->body.size() + bytes > kMaxJwksBytes) {
    sink->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, bytes);
  return bytes;
}

fhir::Error failed(std::string why) { return {401, fhir::IssueType::security, std::move(why), ""}; }

}  // namespace

fhir::Result<std::string> fetch_jwks_over_http(const std::string& url) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return failed("cannot start an HTTP client");
  Sink sink;
  char error_text[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, kTimeoutMs);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  const CURLcode code = curl_easy_perform(curl.get());
  if (sink.too_large) return failed("the key set is larger than 256 KiB");
  if (code != CURLE_OK) return failed(error_text[0] ? error_text : curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return failed("HTTP status " + std::to_string(status));
  return std::move(sink.body);
}

}  // namespace crdex::server
