// The Direct Query client: libcurl's multi interface runs every query (and
// every next page) concurrently on the calling thread, bounded by a deadline.

#include "crdex/fhir/direct_query.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "../http_setup.hpp"
#include "crdex/fhir/http_client.hpp"
#include "bounded_body.hpp"
#include "search_pages.hpp"

namespace crdex::fhir {

namespace {

using Clock = std::chrono::steady_clock;

// One multi handle per thread, kept between calls: its connection cache keeps
// connections to the EHR's FHIR server alive from one hook call to the next.
struct ThreadMulti {
  CURLM* handle = nullptr;
  ThreadMulti() {
    detail::init_curl_once();
    handle = curl_multi_init();
    // Room for every parallel connection of a fill, kept between calls.
    if (handle) curl_multi_setopt(handle, CURLMOPT_MAXCONNECTS, 32L);
  }
  ~ThreadMulti() {
    if (handle) curl_multi_cleanup(handle);
  }
};

CURLM* thread_multi() {
  thread_local ThreadMulti multi;
  return multi.handle;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
};

struct Transfer {
  detail::OutboundGuardState guard;  // the outbound guard's verdict on this transfer's connection
  size_t query = 0;
  CURL* easy = nullptr;
  std::string url;
  std::string body;
  size_t max_bytes = 0;
  bool too_large = false;
};

long remaining_ms(Clock::time_point deadline) {
  return std::max<long>(
      0, static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
}

class QueryRun {
 public:
  QueryRun(const FhirServerAccess& server, std::span<const std::string> queries, const DirectQueryOptions& options)
      : options_(options), answers_(queries.size()), pages_(queries.size()), multi_(thread_multi()) {
    origin_ = detail::url_origin(server.base_url);
    // The header list holds the only copy of the token; freed with this run.
    headers_.list = curl_slist_append(headers_.list, "Accept: application/fhir+json");
    if (const auto id = request_id_header(options.request_id); !id.empty())
      headers_.list = curl_slist_append(headers_.list, id.c_str());
    headers_.list = detail::append_bearer(headers_.list, server.access_token);
    for (size_t i = 0; i < queries.size(); ++i) start(i, detail::join_url(server.base_url, queries[i]));
  }

  // Whatever is still running when the deadline passed is abandoned.
  ~QueryRun() { abandon_remaining(); }

  std::vector<QueryAnswer> run() {
    while (!active_.empty()) {
      const long left = remaining_ms(options_.deadline);
      if (left == 0) break;
      int running = 0;
      if (curl_multi_perform(multi_, &running) != CURLM_OK) break;
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg == CURLMSG_DONE) finish(message->easy_handle, message->data.result);
      }
      if (!active_.empty()) curl_multi_poll(multi_, nullptr, 0, static_cast<int>(std::min<long>(left, 250)), nullptr);
    }
    abandon_remaining();
    for (size_t i = 0; i < answers_.size(); ++i) {
      auto& answer = answers_[i];
      answer.pages = static_cast<int>(pages_[i].size());
      if (answer.ok()) answer.body = pages_[i].size() == 1 ? std::move(pages_[i].front()) : detail::merge_search_pages(pages_[i]);
    }
    return std::move(answers_);
  }

 private:
  void start(size_t query, std::string url) {
    auto transfer = std::make_unique<Transfer>();
    transfer->query = query;
    transfer->url = std::move(url);
    transfer->max_bytes = options_.max_page_bytes;
    CURL* easy = curl_easy_init();
    transfer->easy = easy;
    const long left = std::max<long>(1, remaining_ms(options_.deadline));
    detail::set_up_transfer(easy, transfer->url.c_str(), headers_.list, left, left, &transfer->guard);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, detail::append_bounded<Transfer>);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    curl_multi_add_handle(multi_, easy);
    active_.push_back(std::move(transfer));
  }

  void finish(CURL* easy, CURLcode result) {
    auto it = std::find_if(active_.begin(), active_.end(), [&](const auto& t) { return t->easy == easy; });
    if (it == active_.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(*it);
    active_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(easy);

    auto& answer = answers_[transfer->query];
    answer.http_status = status;
    using Outcome = QueryAnswer::Outcome;
    if (transfer->too_large) {
      answer.outcome = Outcome::invalid;
      answer.problem = "the answer is larger than " + std::to_string(options_.max_page_bytes) + " bytes";
      return;
    }
    if (result == CURLE_OPERATION_TIMEDOUT) {
      answer.outcome = Outcome::timed_out;
      answer.problem = "no answer within the time allowed";
      return;
    }
    if (result != CURLE_OK) {
      answer.outcome = Outcome::unreachable;
      answer.problem = transfer->guard.refusal.empty()
                           ? std::string("cannot reach the FHIR server (") + curl_easy_strerror(result) + ")"
                           : "refused: " + transfer->guard.refusal;
      return;
    }
    auto next = detail::take_page(status, std::move(transfer->body), answer, pages_[transfer->query],
                                  options_.max_pages, origin_);
    if (next) start(transfer->query, std::move(*next));
  }

  void abandon_remaining() {
    for (auto& transfer : active_) {
      curl_multi_remove_handle(multi_, transfer->easy);
      curl_easy_cleanup(transfer->easy);
      auto& answer = answers_[transfer->query];
      answer.outcome = QueryAnswer::Outcome::timed_out;
      answer.problem = "no answer within the time allowed";
    }
    active_.clear();
  }

  const DirectQueryOptions& options_;
  std::vector<QueryAnswer> answers_;
  std::vector<std::vector<std::string>> pages_;
  CURLM* multi_;
  std::string origin_;
  HeaderList headers_;
  std::vector<std::unique_ptr<Transfer>> active_;
};

}  // namespace

std::vector<QueryAnswer> run_direct_queries(const FhirServerAccess& server, std::span<const std::string> queries,
                                            const DirectQueryOptions& options) {
  if (auto refused = check_fhir_server_url(server.base_url, options.allow_plain_http)) {
    std::vector<QueryAnswer> answers(queries.size());
    for (auto& answer : answers) {
      answer.outcome = QueryAnswer::Outcome::unreachable;
      answer.problem = refused->message;
    }
    return answers;
  }
  try {
    if (options.fetcher) return detail::run_fetched_queries(server, queries, options);
    QueryRun run(server, queries, options);
    return run.run();
  } catch (const std::exception&) {
    std::vector<QueryAnswer> answers(queries.size());
    for (auto& answer : answers) answer.problem = "the FHIR server could not be queried (internal error)";
    return answers;
  }
}

}  // namespace crdex::fhir
