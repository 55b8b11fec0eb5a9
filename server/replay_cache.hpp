#pragma once
// The `jti` values already seen, per issuer, each kept until its token
// expires (CDS Hooks: jti protects against replay). Memory is bounded: tokens
// live at most max_token_lifetime_seconds, expired entries are swept as the
// cache grows, and a cache still full after a sweep refuses new tokens (fails
// closed) instead of forgetting ones that could then be replayed. This is
// the one-replica JtiLedger; replicas sharing PostgreSQL use
// smart::open_postgres_jti_ledger instead.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crdex/smart/jti_ledger.hpp"

namespace crdex::server {

class ReplayCache final : public smart::JtiLedger {
 public:
  explicit ReplayCache(size_t capacity) : capacity_(capacity) {}

  // Records (iss, jti) until `expires_at` (epoch seconds) unless already seen.
  Outcome remember(std::string_view iss, std::string_view jti, int64_t expires_at, int64_t now) override;
  // One replica: nothing to hand over; a call refused before work forgets its jti.
  void settle(std::string_view iss, std::string_view jti, bool answered) override;

  size_t size() const;

 private:
  void sweep(int64_t now);  // holds mutex_
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, int64_t> seen_;  // "iss\njti" -> exp
  int64_t next_sweep_ = 0;
};

}  // namespace crdex::server
