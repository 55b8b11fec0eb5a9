#pragma once
// Rate limits per client (a CDS client's issuer, an operator, a system's
// access token): a token bucket per key, refilled at `per_minute` calls a
// minute up to a burst of `per_minute`. Over the limit the front end answers
// 429 with Retry-After (and the refusal is audited like the others).
//
// Only identified callers are limited (the key is who authenticated, never a
// value the caller chooses freely before authenticating), so one client's
// flood does not spend another's budget. The table is bounded: past
// `max_keys` entries, full buckets (idle clients) are forgotten.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace crdex::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(int per_minute, size_t max_keys = 100'000);

  // 0 when the call may go on; otherwise the whole seconds to wait (>= 1).
  int admit(const std::string& key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last{};
  };
  const double per_second_;
  const double burst_;
  const size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace crdex::server
