// Searches answered in pages (CDS Hooks: a service follows Bundle.link[next]).

#include <simdjson.h>

#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "search_pages.hpp"

namespace crdex::fhir::detail {

std::optional<std::string> next_page_link(std::string_view page, bool& valid_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  valid_json = parse_json(parser, page, root) == simdjson::SUCCESS && root.is_object();
  if (!valid_json) return std::nullopt;
  simdjson::dom::array links;
  if (root["link"].get(links) != simdjson::SUCCESS) return std::nullopt;
  for (simdjson::dom::element link : links) {
    std::string_view relation, url;
    if (read_into(link["relation"], relation) && relation == "next" && read_into(link["url"], url) && !url.empty())
      return std::string(url);
  }
  return std::nullopt;
}

std::string merge_search_pages(const std::vector<std::string>& pages) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  simdjson::dom::parser parser;
  w.StartObject();
  write_key(w, "resourceType");
  write_string(w, "Bundle");
  write_key(w, "type");
  write_string(w, "searchset");
  bool wrote_entry_key = false;
  for (size_t i = 0; i < pages.size(); ++i) {
    simdjson::dom::element root;
    if (parse_json(parser, pages[i], root) != simdjson::SUCCESS) continue;
    const SourceSpelling spelling(parser, pages[i]);  // entries keep the server's numbers
    if (i == 0) {
      int64_t total = 0;
      if (root["total"].get(total) == simdjson::SUCCESS) {
        write_key(w, "total");
        w.Int64(total);
      }
    }
    simdjson::dom::array entries;
    if (root["entry"].get(entries) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element entry : entries) {
      if (!wrote_entry_key) {
        write_key(w, "entry");
        w.StartArray();
        wrote_entry_key = true;
      }
      write_raw(w, entry);
    }
  }
  if (wrote_entry_key) w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::optional<std::string> take_page(long http_status, std::string body, QueryAnswer& answer,
                                     std::vector<std::string>& pages, int max_pages, std::string_view origin) {
  using Outcome = QueryAnswer::Outcome;
  answer.http_status = http_status;
  if (http_status < 200 || http_status >= 300) {
    answer.outcome = Outcome::http_error;
    answer.problem = "the FHIR server answered HTTP " + std::to_string(http_status);
    answer.body = std::move(body);
    return std::nullopt;
  }
  bool valid_json = false;
  auto next = next_page_link(body, valid_json);
  if (!valid_json) {
    answer.outcome = Outcome::invalid;
    answer.problem = "the FHIR server's answer is not a JSON object";
    return std::nullopt;
  }
  answer.outcome = Outcome::ok;
  pages.push_back(std::move(body));
  // The next page must come from the same server: the token goes nowhere else.
  if (next && static_cast<int>(pages.size()) < max_pages && url_origin(*next) == origin) return next;
  return std::nullopt;
}

}  // namespace crdex::fhir::detail
