#pragma once
// JtiLedger: the `jti` values of verified JWTs already accepted, per issuer,
// each kept until its token expires, so a token is accepted once (CDS Hooks:
// jti protects against replay). Two implementations: crdex-server's
// in-process cache (server/replay_cache.hpp, one replica) and the
// PostgreSQL ledger every replica shares (a jti used at replica A is refused
// at B), opened by open_postgres_jti_ledger.
//
// A fresh jti is *held* by the replica that recorded it until the call is
// answered (settle). Behind nginx, a hook call whose replica died before
// answering is retried on another replica with the same token; that replica
// finds the entry held by a replica that is gone and takes it over instead of
// refusing the retry as a replay. Once settled, the jti stays used until its
// token expires. A call refused before any work (429, 503: the client or
// nginx may retry it) releases the entry instead.

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
  // The call that brought (iss, jti) is being answered: `answered` keeps the
  // entry as used; false (refused before any work) forgets it, so the same
  // token may be tried again. Best effort: a failure leaves the entry held.
  virtual void settle(std::string_view iss, std::string_view jti, bool answered) = 0;
};

// The ledger in the PostgreSQL database at `url` (its table created or
// migrated on opening). Expired entries are deleted now and then by whichever
// replica is writing. Each ledger names itself by a random holder number and
// holds the session advisory lock (kJtiHolderLockSpace, holder) for as long as
// its connection lives: an entry whose holder's lock is gone (the replica
// died, or lost its connection) may be taken over. A replica that finds an
// entry held by another whose lock is still there waits up to a second for
// that lock on a second connection (a killed replica's session ends a few
// milliseconds after nginx already retried its call) before refusing.
constexpr int32_t kJtiHolderLockSpace = 0x4A544931;  // "JTI1": pg_advisory_lock(space, holder)

fhir::Result<std::unique_ptr<JtiLedger>> open_postgres_jti_ledger(const std::string& url);

}  // namespace crdex::smart
