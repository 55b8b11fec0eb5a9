#pragma once
// Helpers of the Direct Query client: where a FHIR server may be called, and
// how a search answered in pages becomes one Bundle.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/direct_query.hpp"

namespace crdex::fhir::detail {

// "https://host:port" of an absolute URL (scheme and authority, lower-case
// scheme), or "" when `url` is not absolute.
std::string url_origin(std::string_view url);

// base_url + "/" + relative query, with exactly one slash between them.
std::string join_url(std::string_view base_url, std::string_view relative);

// The Bundle.link[relation=next].url of a search page, if any. nullopt also
// when `page` is not JSON; `valid_json` tells which.
std::optional<std::string> next_page_link(std::string_view page, bool& valid_json);

// One searchset Bundle holding every page's entries, in order; `total` and
// `type` from the first page.
std::string merge_search_pages(const std::vector<std::string>& pages);

// Files one page's answer into `answer` and `pages`, the same way whichever
// client fetched it: a 2xx JSON object is kept (its next link returned when
// another page may be fetched from `origin`); anything else sets the outcome.
std::optional<std::string> take_page(long http_status, std::string body, QueryAnswer& answer,
                                     std::vector<std::string>& pages, int max_pages, std::string_view origin);

// Runs the queries one after the other through options.fetcher.
std::vector<QueryAnswer> run_fetched_queries(const FhirServerAccess& server, std::span<const std::string> queries,
                                             const DirectQueryOptions& options);

}  // namespace crdex::fhir::detail
