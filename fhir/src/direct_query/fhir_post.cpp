// POST of one resource with libcurl's easy interface: creations are rare
// (one per CDex request), so they need no connection sharing.

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>

#include "crdex/fhir/fhir_write.hpp"
#include "bounded_body.hpp"
#include "search_pages.hpp"

namespace crdex::fhir {

namespace {

struct Sink {
  std::string body;
  size_t max_bytes = 0;
  bool too_large = false;
};

}  // namespace

QueryAnswer post_resource(const FhirServerAccess& server, std::string_view relative, std::string_view body,
                          const DirectQueryOptions& options) {
  QueryAnswer answer;
  if (auto refused = check_fhir_server_url(server.base_url, options.allow_plain_http)) {
    answer.problem = refused->message;
    return answer;
  }
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
      options.deadline - std::chrono::steady_clock::now());
  if (remaining.count() <= 0) {
    answer.outcome = QueryAnswer::Outcome::timed_out;
    answer.problem = "no time left to send the request";
    return answer;
  }
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) {
    answer.problem = "cannot start an HTTP request";
    return answer;
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/fhir+json");
  headers = curl_slist_append(headers, "Content-Type: application/fhir+json");
  if (!server.access_token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + std::string(server.access_token)).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers, curl_slist_free_all);

  const std::string url = detail::join_url(server.base_url, relative);
  Sink sink{{}, options.max_page_bytes, false};
  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, detail::append_bounded<Sink>);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, remaining.count())));
  const CURLcode code = curl_easy_perform(h);
  if (code == CURLE_OPERATION_TIMEDOUT) {
    answer.outcome = QueryAnswer::Outcome::timed_out;
    answer.problem = "POST " + std::string(relative) + " took too long";
    return answer;
  }
  if (sink.too_large) {
    answer.outcome = QueryAnswer::Outcome::invalid;
    answer.problem = "the answer to POST " + std::string(relative) + " is too large";
    return answer;
  }
  if (code != CURLE_OK) {
    answer.problem = "POST " + std::string(relative) + ": " + curl_easy_strerror(code);
    return answer;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &answer.http_status);
  answer.body = std::move(sink.body);
  answer.pages = 1;
  if (answer.http_status >= 300) {
    answer.outcome = QueryAnswer::Outcome::http_error;
    answer.problem = "POST " + std::string(relative) + " answered HTTP " + std::to_string(answer.http_status);
    return answer;
  }
  answer.outcome = QueryAnswer::Outcome::ok;
  return answer;
}

}  // namespace crdex::fhir
