#include "questionnaire_lookup.hpp"

#include <simdjson.h>

#include "crdex/fhir/direct_query.hpp"

namespace crdex::hooks::detail {

namespace {

bool holds_a_match(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return false;
  int64_t total = 0;
  if (root["total"].get(total) == simdjson::SUCCESS && total > 0) return true;
  simdjson::dom::array entries;
  return root["entry"].get(entries) == simdjson::SUCCESS && entries.size() > 0;
}

}  // namespace

std::vector<std::string> questionnaires_on_client(const HookRequest& request, std::span<const std::string> searches,
                                                  const PrefetchFillOptions& options) {
  std::vector<std::string> found;
  if (searches.empty() || request.fhir_server.empty() || request.access_token.empty()) return found;
  if (fhir::check_fhir_server_url(request.fhir_server, options.allow_plain_http)) return found;
  std::vector<std::string> queries;
  queries.reserve(searches.size());
  for (const auto& search : searches) queries.push_back("Questionnaire?" + search);
  fhir::DirectQueryOptions query_options;
  query_options.deadline = options.io_deadline();  // what the prefetch fill left of the call's budget
  query_options.max_pages = 1;
  query_options.allow_plain_http = options.allow_plain_http;
  query_options.fetcher = options.fetcher.get();
  query_options.request_id = options.request_id;  // the plugin host's transport, when it gave one
  const auto answers =
      fhir::run_direct_queries({request.fhir_server, request.access_token}, queries, query_options);
  for (size_t i = 0; i < answers.size(); ++i)
    if (answers[i].ok() && holds_a_match(answers[i].body)) found.push_back(searches[i]);
  return found;
}

}  // namespace crdex::hooks::detail
