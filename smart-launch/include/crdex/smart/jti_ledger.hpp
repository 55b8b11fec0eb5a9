#pragma once
// JtiLedger: the `jti` values of verified JWTs already accepted, per issuer,
// each kept until its token expires, so a token is accepted once (CDS Hooks:
// jti protects against replay). Two implementations: crdex-server's
// in-process cache (server/replay_cache.hpp, one replica) and the
// PostgreSQL ledger every replica shares (a jti used at replica A is refused
// at B), opened by open_postgres_jti_ledger.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::smart {

class JtiLedger {
 public:
  virtual ~JtiLedger() = default;
  enum class Outcome {
    fresh,        // recorded: accept the token
    replayed,     // seen before and not yet expired: refuse
    full,         // no room to remember it (fail closed): refuse
    unavailable,  // the shared store did not answer (fail closed): refuse
  };
  // Records (iss, jti) until `expires_at` (epoch seconds) unless already seen.
  virtual Outcome remember(std::string_view iss, std::string_view jti, int64_t expires_at, int64_t now) = 0;
};

// The ledger in the PostgreSQL database at `url` (its table created or
// migrated on opening). Expired entries are deleted now and then by whichever
// replica is writing.
fhir::Result<std::unique_ptr<JtiLedger>> open_postgres_jti_ledger(const std::string& url);

}  // namespace crdex::smart
