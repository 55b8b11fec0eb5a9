#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace crdex::server {

RateLimiter::RateLimiter(int per_minute, size_t max_keys)
    : per_second_(std::max(1, per_minute) / 60.0), burst_(std::max(1, per_minute)), max_keys_(max_keys) {}

int RateLimiter::admit(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = buckets_.find(key);
  if (found == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // Forget the clients whose buckets would be full again: they lose nothing.
      std::erase_if(buckets_, [&](const auto& entry) {
        const double seconds = std::chrono::duration<double>(now - entry.second.last).count();
        return entry.second.tokens + seconds * per_second_ >= burst_;
      });
      if (buckets_.size() >= max_keys_) return 1;
    }
    found = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& bucket = found->second;
  const double seconds = std::chrono::duration<double>(now - bucket.last).count();
  bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, seconds) * per_second_);
  bucket.last = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - bucket.tokens) / per_second_)));
}

}  // namespace crdex::server
