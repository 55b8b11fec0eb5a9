#pragma once
// Direct Query: reads from the EHR's FHIR server with the access token the EHR
// handed over (CDS Hooks fhirAuthorization, CRD found-5, CDex Direct Query).
// Independent queries run in parallel on one libcurl multi handle; searches
// follow Bundle.link[next] up to a page cap; everything ends by a deadline so
// the hook still answers on time when the FHIR server is slow.
//
// The access token is sent as `Authorization: Bearer …` and nowhere else: it
// is never logged, kept after the call, or put into an answer's problem text.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

struct FhirServerAccess {
  std::string_view base_url;      // fhirServer, e.g. "https://ehr.example.org/fhir"
  std::string_view access_token;  // fhirAuthorization.access_token
};

// How one GET reaches the FHIR server when the caller brings its own HTTP
// stack (the plugin's host: the EHR's session, proxy and credentials). Called
// on the querying thread, one request at a time.
struct FetchReply {
  bool answered = false;  // false: no answer could be had (`problem` says why)
  long http_status = 0;
  std::string body;
  std::string problem;  // safe to show; never the token
};

class FhirFetcher {
 public:
  virtual ~FhirFetcher() = default;
  // `url` is absolute; `access_token` goes in the Authorization header. Must
  // not throw; a reply after `deadline` is treated as too late.
  virtual FetchReply get(std::string_view url, std::string_view access_token,
                         std::chrono::steady_clock::time_point deadline) const noexcept = 0;
};

struct DirectQueryOptions {
  std::chrono::steady_clock::time_point deadline;
  // Pages fetched per search at most (the first included); the rest is left.
  int max_pages = 5;
  // Plain http:// is accepted for loopback servers only unless this is set.
  bool allow_plain_http = false;
  // A larger answer (one page) is refused rather than buffered.
  size_t max_page_bytes = 16u << 20;
  // When set, every request goes through it, one after the other, instead of
  // crdex's own libcurl client (which runs them in parallel).
  const FhirFetcher* fetcher = nullptr;
  // The incoming request this query serves, sent as X-Request-Id (not
  // through a `fetcher`, whose host owns its headers); empty: none.
  std::string_view request_id;
};

struct QueryAnswer {
  enum class Outcome {
    ok,           // body holds the resource, or one searchset Bundle with every page's entries
    http_error,   // the server answered with http_status >= 300
    unreachable,  // no connection (refused, reset, DNS, TLS)
    timed_out,    // the deadline passed first
    invalid,      // the answer was not a JSON object, or too large
  };
  Outcome outcome = Outcome::unreachable;
  long http_status = 0;
  std::string body;
  std::string problem;  // why it is not ok; safe to show (no token, no headers)
  int pages = 0;
  bool ok() const { return outcome == Outcome::ok; }
};

// Checks that crdex may send a token to `base_url`: https://, or http:// to a
// loopback host (127.0.0.0/8, ::1, localhost) unless plain HTTP is allowed.
std::optional<Error> check_fhir_server_url(std::string_view base_url, bool allow_plain_http);

// Runs each relative query ("Patient/123", "Coverage?patient=123") against
// the server, all at once, and returns one answer per query, in order. Never
// throws; a refused base URL fails every query without any traffic.
std::vector<QueryAnswer> run_direct_queries(const FhirServerAccess& server, std::span<const std::string> queries,
                                            const DirectQueryOptions& options);

}  // namespace crdex::fhir
