#pragma once
// Prefetch fill: crdex fetches, from the EHR's FHIR server, the prefetch keys
// a request lacks (absent, or an OperationOutcome where data should be), with
// the request's fhirAuthorization token (CDS Hooks §Prefetch, CRD found-5).
// A key the EHR sent is used as given, never re-queried; a `null` key means
// "no data" and is not queried either. Keys that read other keys (`%key`) are
// fetched after those; the rest run in parallel. The whole fill ends by a
// deadline so the hook still answers on time.

#include <simdjson.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/hooks/hook_request.hpp"
#include "crdex/hooks/prefetch_cache.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks {

struct PrefetchFillOptions {
  // Time one hook call may spend on I/O in all (prefetch fill and the
  // Questionnaire lookup together); CRD asks for the answer within 5 s.
  std::chrono::milliseconds budget{3000};
  // The call's one deadline, set by the engine when the call starts (budget
  // from then); unset (a caller outside a hook call): budget from each use.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  int max_pages = 5;              // per search, Bundle.link[next] included
  bool allow_plain_http = false;  // http:// to non-loopback FHIR servers
  // The host's own HTTP stack (plugin); nullptr: crdex's libcurl client.
  std::shared_ptr<const fhir::FhirFetcher> fetcher;
  PrefetchCacheOptions cache;     // what secondary hooks keep for a later order-sign
  // The id of the hook call being answered (X-Request-Id), set by the engine
  // per call: every query made for the call carries it. Empty: none sent.
  std::string request_id;

  // The deadline of the I/O about to start.
  std::chrono::steady_clock::time_point io_deadline() const {
    return deadline ? *deadline : std::chrono::steady_clock::now() + budget;
  }
  // A copy whose I/O all ends at one deadline, `budget` from now.
  PrefetchFillOptions for_one_call() const {
    PrefetchFillOptions call = *this;
    call.deadline = std::chrono::steady_clock::now() + budget;
    return call;
  }
};

// What crdex fetched for one hook call. The values point into documents this
// object owns: it must outlive every use of them (HookRequest::filled).
struct FilledPrefetch {
  std::map<std::string, simdjson::dom::element, std::less<>> values;
  // Keys that could not be fetched, with the reason (safe to show).
  std::map<std::string, std::string, std::less<>> problems;
  // The queries sent (relative to fhirServer), in order. Queries of one round
  // ran in parallel; a round starts when the keys it reads are settled.
  struct SentQuery {
    std::string key;
    std::string query;
    int round = 0;
  };
  std::vector<SentQuery> queries;
  // Keys answered from the prefetch cache instead of the FHIR server.
  std::vector<std::string> from_cache;
  std::vector<std::unique_ptr<simdjson::dom::document>> documents;
  // The answers' texts, so that numbers copied from them keep their spelling
  // (json_numbers.hpp): used and destroyed on the thread that filled them.
  std::vector<std::unique_ptr<std::string>> texts;
  std::vector<std::unique_ptr<fhir::SourceSpelling>> spellings;

  std::optional<simdjson::dom::element> value(std::string_view key) const;
  std::string_view problem(std::string_view key) const;
};

// The keys of `templates` the request lacks: absent from prefetch, or holding
// an OperationOutcome. A key sent as null is not lacking.
std::vector<std::string_view> prefetch_keys_to_fill(const HookRequest& request,
                                                    std::span<const PrefetchTemplate> templates);

// Fetches `keys` (from prefetch_keys_to_fill) from request.fhir_server with
// request.access_token. Without fhirServer or token every key gets a problem
// and nothing is sent. Never throws for network trouble: it is in `problems`.
// With a `cache`, a query answered there is not sent; with `warm_cache`, what
// was fetched is stored in it (prefetch_cache.hpp).
FilledPrefetch fill_prefetch(const HookRequest& request, std::span<const PrefetchTemplate> templates,
                             std::span<const std::string_view> keys, const PrefetchFillOptions& options,
                             PrefetchCache* cache = nullptr, bool warm_cache = false);

}  // namespace crdex::hooks
