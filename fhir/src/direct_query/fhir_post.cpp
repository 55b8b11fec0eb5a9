// POST of one resource through the one outgoing HTTP client: creations are
// rare (one per CDex request), so they need no connection sharing.

#include <algorithm>
#include <string>

#include "crdex/fhir/fhir_write.hpp"
#include "crdex/fhir/http_client.hpp"
#include "search_pages.hpp"

namespace crdex::fhir {

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
  HttpCall call;
  call.method = "POST";
  call.url = detail::join_url(server.base_url, relative);
  call.headers = {"Accept: application/fhir+json", "Content-Type: application/fhir+json"};
  if (auto id = request_id_header(options.request_id); !id.empty()) call.headers.push_back(std::move(id));
  call.body = std::string(body);
  call.access_token = std::string(server.access_token);
  call.timeout = std::max(std::chrono::milliseconds(1), remaining);
  call.max_body_bytes = options.max_page_bytes;
  auto sent = perform_http_call(call);
  if (sent.timed_out) {
    answer.outcome = QueryAnswer::Outcome::timed_out;
    answer.problem = "POST " + std::string(relative) + " took too long";
    return answer;
  }
  if (sent.too_large) {
    answer.outcome = QueryAnswer::Outcome::invalid;
    answer.problem = "the answer to POST " + std::string(relative) + " is too large";
    return answer;
  }
  if (!sent.transferred) {
    answer.problem = "POST " + std::string(relative) + ": " + sent.problem;
    return answer;
  }
  answer.http_status = sent.status;
  answer.body = std::move(sent.body);
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
