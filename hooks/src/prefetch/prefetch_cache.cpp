#include "crdex/hooks/prefetch_cache.hpp"

#include "crdex/config/rule_store.hpp"

namespace crdex::hooks {

std::string PrefetchCache::key(std::string_view server, std::string_view access_token, std::string_view query) {
  std::string key;
  key.reserve(server.size() + query.size() + 80);
  // A 0 byte cannot occur in a URL, so the parts cannot run into each other.
  key.append(server).push_back('\0');
  key.append(config::sha256_checksum(access_token)).push_back('\0');
  key.append(query);
  return key;
}

void PrefetchCache::drop_expired(Clock::time_point now) {
  while (!order_.empty() && (now - order_.front().second >= options_.ttl || order_.size() > options_.max_entries)) {
    auto it = entries_.find(order_.front().first);
    // A key stored again later has a newer entry: only the matching one goes.
    if (it != entries_.end() && it->second.stored == order_.front().second) entries_.erase(it);
    order_.pop_front();
  }
}

std::optional<std::string> PrefetchCache::find(std::string_view server, std::string_view access_token,
                                               std::string_view query, Clock::time_point now) const {
  if (!enabled()) return std::nullopt;
  const auto k = key(server, access_token, query);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(k);
  if (it == entries_.end() || now - it->second.stored >= options_.ttl) return std::nullopt;
  return it->second.body;
}

void PrefetchCache::store(std::string_view server, std::string_view access_token, std::string_view query,
                          std::string body, Clock::time_point now) {
  if (!enabled()) return;
  auto k = key(server, access_token, query);
  std::lock_guard lock(mutex_);
  entries_[k] = {std::move(body), now};
  order_.emplace_back(std::move(k), now);
  drop_expired(now);
}

size_t PrefetchCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace crdex::hooks
