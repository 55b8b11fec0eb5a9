#include "smart/auth_server_process.hpp"

#include <curl/curl.h>

#include <fstream>
#include <memory>
#include <stdexcept>

#include "support/http_client.hpp"

namespace crdex::test {

namespace {

size_t discard(char*, size_t size, size_t count, void*) { return size * count; }

// The config file the server reads, written into `dir` (the test's own).
std::string write_config(const TempDir& dir, const std::string& config_json) {
  const auto file = (dir.path() / "config.json").string();
  std::ofstream(file) << config_json;
  return file;
}

}  // namespace

AuthServerProcess::AuthServerProcess(const std::string& config_json)
    : node_("auth-server", {write_config(dir_, config_json)}, "the auth server") {}

std::string AuthServerProcess::errors() const {
  const auto result = http_get(issuer() + "/$admin/errors");
  if (result.status != 200) throw std::runtime_error("/$admin/errors failed");
  return result.body;
}

std::string follow_to_redirect(const std::string& start, const std::string& redirect_prefix) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), curl_easy_cleanup);
  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");  // cookies in memory, like a browser session
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  std::string url = start;
  for (int hop = 0; hop < 12; ++hop) {
    if (url.starts_with(redirect_prefix)) return url;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    if (curl_easy_perform(h) != CURLE_OK) throw std::runtime_error("GET " + url + " failed");
    long status = 0;
    char* location = nullptr;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);  // resolved against the current URL
    if (status < 300 || status >= 400 || !location)
      throw std::runtime_error("GET " + url + " answered " + std::to_string(status) + " instead of a redirect");
    url = location;
  }
  throw std::runtime_error("too many redirects from " + start);
}

}  // namespace crdex::test
