#pragma once
// Helpers of the Direct Query client: where a FHIR server may be called, and
// how a search answered in pages becomes one Bundle.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace crdex::fhir::detail
