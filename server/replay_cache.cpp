#include "replay_cache.hpp"

namespace crdex::server {

ReplayCache::Outcome ReplayCache::remember(std::string_view iss, std::string_view jti, int64_t expires_at,
                                           int64_t now) {
  std::string key;
  key.reserve(iss.size() + 1 + jti.size());
  key.append(iss).append(1, '\n').append(jti);
  std::lock_guard lock(mutex_);
  // A sweep at most once a second, or whenever the cache is full.
  if (now >= next_sweep_ || seen_.size() >= capacity_) sweep(now);
  auto [it, inserted] = seen_.try_emplace(std::move(key), expires_at);
  if (!inserted) {
    if (it->second >= now) return Outcome::replayed;
    it->second = expires_at;  // the old token expired; this one is new
    return Outcome::fresh;
  }
  if (seen_.size() > capacity_) {
    seen_.erase(it);
    return Outcome::full;
  }
  return Outcome::fresh;
}

void ReplayCache::settle(std::string_view iss, std::string_view jti, bool answered) {
  if (answered) return;
  std::string key;
  key.append(iss).append(1, '\n').append(jti);
  std::lock_guard lock(mutex_);
  seen_.erase(key);
}

size_t ReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

void ReplayCache::sweep(int64_t now) {
  std::erase_if(seen_, [now](const auto& entry) { return entry.second < now; });
  next_sweep_ = now + 1;
}

}  // namespace crdex::server
