#pragma once
// Key sets fetched from URLs (a client's jwks_url, or an allowlisted jku),
// parsed once and cached per URL.
//
// A lookup never fetches on a Pistache event thread: with may_fetch false it
// answers needs_fetch and the caller retries on a worker. Fetches are
// bounded: one at a time per URL (the others wait for its result), and at
// most one per jwks_min_refresh_seconds per URL whether it is for a key set
// never fetched, one past jwks_max_age_seconds, or an unknown `kid` (key
// rotation). A token naming kids at random therefore cannot make crdex hammer
// the issuer's server. A failed refresh keeps the keys fetched before.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "client_registry.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/smart/jwk.hpp"

namespace crdex::server {

// GETs a key set; the body on 200, an Error (safe to show) otherwise.
using JwksFetch = std::function<fhir::Result<std::string>(const std::string& url)>;

// libcurl: TLS verified, no redirects, 3 s time-out, at most 256 KiB,
// https only (plain http to loopback for tests).
fhir::Result<std::string> fetch_jwks_over_http(const std::string& url);

class JwksCache {
 public:
  using Clock = std::chrono::steady_clock;
  JwksCache(const ClientAuthSettings& settings, JwksFetch fetch = fetch_jwks_over_http);

  enum class Status { found, unknown_kid, needs_fetch, unavailable };
  struct Lookup {
    Status status = Status::unavailable;
    std::shared_ptr<const smart::Jwks> keys;  // keeps `key` alive
    const smart::Jwk* key = nullptr;
    std::string problem;  // why unavailable
  };
  Lookup find(const std::string& url, std::string_view kid, bool may_fetch);

  // How many fetches were attempted (for tests and logs).
  int fetches() const;

 private:
  struct Entry {
    std::mutex fetching;  // one fetch at a time per URL
    std::shared_ptr<const smart::Jwks> keys;
    Clock::time_point fetched_at{};
    Clock::time_point last_attempt{};
    bool attempted = false;
    std::string last_problem;
  };
  Entry& entry(const std::string& url);
  Lookup from_cache(Entry& entry, std::string_view kid, Clock::time_point now) const;  // holds mutex_

  const std::chrono::seconds min_refresh_;
  const std::chrono::seconds max_age_;
  JwksFetch fetch_;
  mutable std::mutex mutex_;  // guards the map and every Entry's fields except `fetching`
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
  int fetches_ = 0;
};

}  // namespace crdex::server
