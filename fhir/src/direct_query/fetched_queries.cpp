// Direct Query through a caller's FhirFetcher (the plugin host's transport):
// the same paging, size cap, deadline and answer classification as the
// libcurl client, but one request at a time on the calling thread, because a
// host callback is not something crdex may call from several threads at once.

#include <algorithm>

#include "search_pages.hpp"

namespace crdex::fhir::detail {

namespace {

using Clock = std::chrono::steady_clock;

void too_late(QueryAnswer& answer) {
  answer.outcome = QueryAnswer::Outcome::timed_out;
  answer.problem = "no answer within the time allowed";
}

QueryAnswer run_one(const FhirServerAccess& server, const std::string& query, const DirectQueryOptions& options,
                    std::string_view origin) {
  QueryAnswer answer;
  std::vector<std::string> pages;
  std::optional<std::string> url = join_url(server.base_url, query);
  while (url) {
    if (Clock::now() >= options.deadline) {
      too_late(answer);
      break;
    }
    auto reply = options.fetcher->get(*url, server.access_token, options.deadline);
    if (Clock::now() > options.deadline) {
      too_late(answer);
      break;
    }
    if (!reply.answered) {
      answer.outcome = QueryAnswer::Outcome::unreachable;
      answer.problem = reply.problem.empty() ? "the host could not reach the FHIR server"
                                             : "the host could not reach the FHIR server (" + reply.problem + ")";
      break;
    }
    if (reply.body.size() > options.max_page_bytes) {
      answer.outcome = QueryAnswer::Outcome::invalid;
      answer.problem = "the answer is larger than " + std::to_string(options.max_page_bytes) + " bytes";
      break;
    }
    url = take_page(reply.http_status, std::move(reply.body), answer, pages, options.max_pages, origin);
  }
  answer.pages = static_cast<int>(pages.size());
  if (answer.ok()) answer.body = pages.size() == 1 ? std::move(pages.front()) : merge_search_pages(pages);
  return answer;
}

}  // namespace

std::vector<QueryAnswer> run_fetched_queries(const FhirServerAccess& server, std::span<const std::string> queries,
                                             const DirectQueryOptions& options) {
  const std::string origin = url_origin(server.base_url);
  std::vector<QueryAnswer> answers;
  answers.reserve(queries.size());
  for (const auto& query : queries) answers.push_back(run_one(server, query, options, origin));
  return answers;
}

}  // namespace crdex::fhir::detail
