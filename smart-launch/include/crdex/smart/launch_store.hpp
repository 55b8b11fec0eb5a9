#pragma once
// LaunchStore: launch contexts behind opaque, single-use, expiring launch ids,
// kept in SQLite (WAL) so a restart of crdex loses no launch that is still
// valid, or in the PostgreSQL database replicas share (`--store`), so a
// launch created through one replica resolves, once, through any. Only a SHA-256 of each launch id is stored: a copy of the file does
// not hand out usable launches.
//
// create() mints the id (256 random bits) and returns the launch URL the EHR
// opens; resolve() hands the context to the EHR's authorization server once
// and deletes it in the same statement, so two concurrent resolves of one id
// cannot both succeed. Expired launches never resolve and are purged. The
// checks and the id are common to both back ends; a back end only stores and
// takes rows (launch_store_sqlite.cpp, launch_store_postgres.cpp).

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"
#include "crdex/smart/launch_context.hpp"

namespace crdex::smart {

struct IssuedLaunch {
  std::string launch_id;  // opaque, base64url, 43 characters
  std::string url;        // app_url?launch=…&iss=…
  std::chrono::system_clock::time_point expires_at;
};

class LaunchStore {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  static constexpr std::chrono::seconds kDefaultLifetime{300};

  // Opens (creating or migrating if needed) the store file and purges
  // expired launches. `clock` is the time source (tests pass their own).
  static fhir::Result<std::unique_ptr<LaunchStore>> open(const std::filesystem::path& file,
                                                         Clock clock = std::chrono::system_clock::now);
  virtual ~LaunchStore();
  LaunchStore(const LaunchStore&) = delete;
  LaunchStore& operator=(const LaunchStore&) = delete;

  // Checks the context (checked_launch_context) and stores it under a new id.
  fhir::Result<IssuedLaunch> create(const LaunchContext& context, std::chrono::seconds lifetime = kDefaultLifetime);

  // The context stored under `launch_id`, exactly once. Unknown, already
  // resolved and expired ids are all 404 (the message says which when it can).
  // When the launch is bound to a client, `client_id` must be that client
  // (403 otherwise, and the launch stays usable for the right client).
  fhir::Result<LaunchContext> resolve(std::string_view launch_id, std::string_view client_id = {});

  // Deletes expired launches; returns how many.
  virtual fhir::Result<int> purge_expired() = 0;

 protected:
  explicit LaunchStore(Clock clock) : clock_(std::move(clock)) {}
  int64_t now_ms() const;
  // Stores a row under the hash of a fresh id.
  virtual fhir::Result<bool> store_launch(const std::string& id_hash, const std::string& context_json,
                                          const std::string& client_id, int64_t created_ms, int64_t expires_ms) = 0;
  // Deletes and returns the row, atomically (exactly once): 404 when there is
  // none, 403 (and the row kept) when it is bound to another client.
  struct TakenLaunch {
    std::string context_json;
    int64_t expires_ms = 0;
  };
  virtual fhir::Result<TakenLaunch> take_launch(const std::string& id_hash, std::string_view client_id) = 0;

 private:
  Clock clock_;
};

// The launch store `--store` names: launches.sqlite under the SQLite
// directory, or the PostgreSQL database.
fhir::Result<std::unique_ptr<LaunchStore>> open_launch_store(const fhir::StoreLocation& location,
                                                             LaunchStore::Clock clock = std::chrono::system_clock::now);

namespace detail {
// The refusal for an unknown, used or expired id.
fhir::Error no_such_launch(std::string why);
}  // namespace detail

}  // namespace crdex::smart
