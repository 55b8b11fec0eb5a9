#include "crdex/hooks/prefetch_fill.hpp"

#include <algorithm>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/hooks/prefetch_template.hpp"

namespace crdex::hooks {

namespace {

bool is_operation_outcome(simdjson::dom::element value) {
  std::string_view type;
  return value.is_object() && value["resourceType"].get(type) == simdjson::SUCCESS && type == "OperationOutcome";
}

const PrefetchTemplate* find_template(std::span<const PrefetchTemplate> templates, std::string_view key) {
  for (const auto& t : templates)
    if (t.key == key) return &t;
  return nullptr;
}

// The value a template's %key reads: what the EHR sent (null = no data), or
// else what crdex fetched.
std::optional<simdjson::dom::element> prefetch_value(const HookRequest& request, const FilledPrefetch& filled,
                                                     std::string_view key) {
  if (auto fetched = filled.value(key)) return fetched;
  if (!request.prefetch) return std::nullopt;
  auto sent = request.prefetch->find(key);
  if (!sent || sent->is_null() || is_operation_outcome(sent->element())) return std::nullopt;
  return sent->element();
}

void fail_all(FilledPrefetch& filled, std::span<const std::string_view> keys, const std::string& why) {
  for (auto key : keys) filled.problems.emplace(std::string(key), why);
}

}  // namespace

std::optional<simdjson::dom::element> FilledPrefetch::value(std::string_view key) const {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::string_view FilledPrefetch::problem(std::string_view key) const {
  auto it = problems.find(key);
  return it == problems.end() ? std::string_view{} : std::string_view(it->second);
}

namespace {

bool is_of_type(simdjson::dom::element resource, std::string_view type) {
  std::string_view t;
  return resource.is_object() && resource["resourceType"].get(t) == simdjson::SUCCESS && t == type;
}

// Whether a prefetch value other than `key` holds a `type` resource, itself
// or as a Bundle entry (clients in the field name their keys their own way,
// e.g. the CRD reference client's `coverageBundle`, `deviceRequestBundle`).
bool sent_under_another_key(const HookRequest& request, std::string_view key, std::string_view type) {
  if (!request.prefetch || type.empty()) return false;
  for (auto field : request.prefetch->element().get_object()) {
    if (field.key == key || !field.value.is_object()) continue;
    if (is_of_type(field.value, type)) return true;
    simdjson::dom::array entries;
    if (!is_of_type(field.value, "Bundle") || field.value["entry"].get(entries) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element entry : entries) {
      simdjson::dom::element resource;
      if (entry["resource"].get(resource) == simdjson::SUCCESS && is_of_type(resource, type)) return true;
    }
  }
  return false;
}

// The resource type a template's query reads ("Coverage?…" -> "Coverage").
std::string_view queried_type(std::string_view query) { return query.substr(0, query.find_first_of("?/")); }

}  // namespace

std::vector<std::string_view> prefetch_keys_to_fill(const HookRequest& request,
                                                    std::span<const PrefetchTemplate> templates) {
  std::vector<std::string_view> keys;
  for (const auto& t : templates) {
    std::optional<fhir::JsonNode> sent;
    if (request.prefetch) sent = request.prefetch->find(t.key);
    if (sent && !is_operation_outcome(sent->element())) continue;
    // Found by content under another key: nothing to ask the EHR for.
    if (!sent && sent_under_another_key(request, t.key, queried_type(t.query))) continue;
    keys.push_back(t.key);
  }
  return keys;
}

FilledPrefetch fill_prefetch(const HookRequest& request, std::span<const PrefetchTemplate> templates,
                             std::span<const std::string_view> keys, const PrefetchFillOptions& options,
                             PrefetchCache* cache, bool warm_cache) {
  FilledPrefetch filled;
  if (keys.empty()) return filled;
  if (request.fhir_server.empty() || request.access_token.empty()) {
    fail_all(filled, keys,
             "the request has no fhirServer with a fhirAuthorization access token to fetch it with");
    return filled;
  }
  if (auto refused = fhir::check_fhir_server_url(request.fhir_server, options.allow_plain_http)) {
    fail_all(filled, keys, refused->message);
    return filled;
  }

  fhir::DirectQueryOptions query_options;
  query_options.deadline = options.io_deadline();
  query_options.max_pages = options.max_pages;
  query_options.allow_plain_http = options.allow_plain_http;
  query_options.fetcher = options.fetcher.get();
  query_options.request_id = options.request_id;
  const fhir::FhirServerAccess server{request.fhir_server, request.access_token};
  const PrefetchScope scope{request.context.element(),
                            [&](std::string_view key) { return prefetch_value(request, filled, key); }};

  std::vector<std::string_view> pending(keys.begin(), keys.end());
  const auto is_pending = [&](std::string_view key) {
    return std::find(pending.begin(), pending.end(), key) != pending.end();
  };
  for (int round_number = 1; !pending.empty(); ++round_number) {
    // This round: keys whose %dependencies are all settled (sent, fetched or failed).
    std::vector<std::string_view> round;
    for (auto key : pending) {
      const auto* t = find_template(templates, key);
      if (!t) continue;
      const auto dependencies = prefetch_template_dependencies(t->query);
      if (std::none_of(dependencies.begin(), dependencies.end(), [&](const std::string& d) { return is_pending(d); }))
        round.push_back(key);
    }
    if (round.empty()) {
      fail_all(filled, pending, "its prefetch template depends on itself through other keys");
      break;
    }
    std::erase_if(pending, [&](std::string_view key) {
      return std::find(round.begin(), round.end(), key) != round.end();
    });

    std::vector<std::string> round_keys, round_queries;
    for (auto key : round) {
      auto query = hydrate_prefetch_template(find_template(templates, key)->query, scope);
      if (!query) {
        filled.problems.emplace(std::string(key), query.error().message);
      } else if (*query) {  // nullopt: a token yields nothing, so there is nothing to ask for
        round_keys.emplace_back(key);
        round_queries.push_back(std::move(**query));
      }
    }
    const auto keep = [&](const std::string& key, const std::string& query, const std::string& body) {
      auto document = std::make_unique<simdjson::dom::document>();
      simdjson::dom::parser parser;
      simdjson::dom::element root;
      if (fhir::parse_json_into(parser, *document, body, root) != simdjson::SUCCESS) {
        filled.problems.emplace(key, query + ": the FHIR server's answer is not valid JSON");
        return false;
      }
      filled.values.emplace(key, root);
      // The answer's numbers are copied as the server spelled them.
      filled.texts.push_back(std::make_unique<std::string>(body));
      filled.spellings.push_back(std::make_unique<fhir::SourceSpelling>(*document, *filled.texts.back()));
      filled.documents.push_back(std::move(document));
      return true;
    };
    // Answers a secondary hook fetched a moment ago for the same patient.
    if (cache) {
      for (size_t i = 0; i < round_queries.size();) {
        if (auto body = cache->find(request.fhir_server, request.access_token, round_queries[i])) {
          keep(round_keys[i], round_queries[i], *body);
          filled.from_cache.push_back(round_keys[i]);
          round_keys.erase(round_keys.begin() + static_cast<std::ptrdiff_t>(i));
          round_queries.erase(round_queries.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          ++i;
        }
      }
    }
    if (round_queries.empty()) continue;
    if (std::chrono::steady_clock::now() >= query_options.deadline) {
      for (const auto& key : round_keys) filled.problems.emplace(key, "no time was left to fetch it");
      continue;
    }
    auto answers = fhir::run_direct_queries(server, round_queries, query_options);
    for (size_t i = 0; i < answers.size(); ++i) {
      filled.queries.push_back({round_keys[i], round_queries[i], round_number});
      if (!answers[i].ok()) {
        filled.problems.emplace(round_keys[i], round_queries[i] + ": " + answers[i].problem);
        continue;
      }
      if (keep(round_keys[i], round_queries[i], answers[i].body) && cache && warm_cache)
        cache->store(request.fhir_server, request.access_token, round_queries[i], std::move(answers[i].body));
    }
  }
  return filled;
}

}  // namespace crdex::hooks
