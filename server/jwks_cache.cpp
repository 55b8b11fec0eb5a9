#include "jwks_cache.hpp"

#include <spdlog/spdlog.h>

namespace crdex::server {

JwksCache::JwksCache(const ClientAuthSettings& settings, JwksFetch fetch)
    : min_refresh_(settings.jwks_min_refresh_seconds),
      max_age_(settings.jwks_max_age_seconds),
      fetch_(std::move(fetch)) {}

JwksCache::Entry& JwksCache::entry(const std::string& url) {
  std::lock_guard lock(mutex_);
  auto& slot = entries_[url];
  if (!slot) slot = std::make_unique<Entry>();
  return *slot;
}

// What the cache can say without fetching.
JwksCache::Lookup JwksCache::from_cache(Entry& e, std::string_view kid, Clock::time_point now) const {
  const bool may_refresh = !e.attempted || now - e.last_attempt >= min_refresh_;
  if (e.keys) {
    const bool stale = now - e.fetched_at >= max_age_;
    if (const auto* key = e.keys->find(kid); key && !(stale && may_refresh))
      return {Status::found, e.keys, key, {}};
    if (may_refresh) return {Status::needs_fetch, nullptr, nullptr, {}};
    return {Status::unknown_kid, nullptr, nullptr, {}};
  }
  if (may_refresh) return {Status::needs_fetch, nullptr, nullptr, {}};
  return {Status::unavailable, nullptr, nullptr, e.last_problem};
}

JwksCache::Lookup JwksCache::find(const std::string& url, std::string_view kid, bool may_fetch) {
  Entry& e = entry(url);
  {
    std::lock_guard lock(mutex_);
    auto cached = from_cache(e, kid, Clock::now());
    if (cached.status != Status::needs_fetch || !may_fetch) return cached;
  }
  std::lock_guard fetching(e.fetching);
  {
    // Another thread may have fetched while this one waited.
    std::lock_guard lock(mutex_);
    auto cached = from_cache(e, kid, Clock::now());
    if (cached.status != Status::needs_fetch) return cached;
    e.attempted = true;
    e.last_attempt = Clock::now();
    ++fetches_;
  }
  auto body = fetch_(url);
  fhir::Result<smart::Jwks> parsed = body ? smart::parse_jwks(*body) : fhir::Result<smart::Jwks>(body.error());
  std::lock_guard lock(mutex_);
  if (parsed) {
    e.keys = std::make_shared<const smart::Jwks>(std::move(parsed).value());
    e.fetched_at = Clock::now();
    e.last_problem.clear();
    spdlog::info("fetched the key set {} ({} key(s))", url, e.keys->keys().size());
  } else {
    e.last_problem = "the key set " + url + " could not be fetched: " + parsed.error().message;
    spdlog::warn("{}", e.last_problem);
  }
  // Just fetched (or failed to): answer from what is there now. A failed
  // refresh keeps serving the keys fetched before.
  if (!e.keys) return {Status::unavailable, nullptr, nullptr, e.last_problem};
  if (const auto* key = e.keys->find(kid)) return {Status::found, e.keys, key, {}};
  return {Status::unknown_kid, nullptr, nullptr, {}};
}

int JwksCache::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

}  // namespace crdex::server
