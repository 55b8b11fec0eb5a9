#pragma once
// A short-lived cache of what Direct Query fetched for a patient, so that the
// clinician's later order-sign does not wait for the same queries again (CRD
// ops-1, foundation "Performance": use order-select / encounter-start to
// pre-fetch). Secondary hooks (order-select, encounter-start, encounter-
// discharge) store what they fetched; every hook reuses a stored answer to
// the same query on the same FHIR server under the same access token.
//
// An entry is keyed by fhirServer, a SHA-256 of the access token (never the
// token itself) and the hydrated query, so a different user or session never
// sees data fetched under another's token. Entries live `ttl` at most and the
// cache holds `max_entries` at most (oldest evicted first): the data is kept
// only as long as it helps answer the next hook (CRD sec-6).

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace crdex::hooks {

struct PrefetchCacheOptions {
  std::chrono::milliseconds ttl{30000};  // 0 switches the cache off
  size_t max_entries = 512;
};

class PrefetchCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit PrefetchCache(PrefetchCacheOptions options = {}) : options_(options) {}

  bool enabled() const { return options_.ttl.count() > 0 && options_.max_entries > 0; }

  // The answer body stored for this query, if still fresh.
  std::optional<std::string> find(std::string_view server, std::string_view access_token, std::string_view query,
                                  Clock::time_point now = Clock::now()) const;

  void store(std::string_view server, std::string_view access_token, std::string_view query, std::string body,
             Clock::time_point now = Clock::now());

  size_t size() const;

 private:
  struct Entry {
    std::string body;
    Clock::time_point stored;
  };
  static std::string key(std::string_view server, std::string_view access_token, std::string_view query);
  void drop_expired(Clock::time_point now);

  PrefetchCacheOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<std::string, Clock::time_point>> order_;  // oldest first
};

}  // namespace crdex::hooks
