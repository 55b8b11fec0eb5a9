#pragma once
// LaunchStore: launch contexts behind opaque, single-use, expiring launch ids,
// kept in SQLite (WAL) so a restart of crdex loses no launch that is still
// valid. Only a SHA-256 of each launch id is stored: a copy of the file does
// not hand out usable launches.
//
// create() mints the id (256 random bits) and returns the launch URL the EHR
// opens; resolve() hands the context to the EHR's authorization server once
// and deletes it in the same statement, so two concurrent resolves of one id
// cannot both succeed. Expired launches never resolve and are purged.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"
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

  // Opens (creating if needed) the store file and purges expired launches.
  // `clock` is the time source (tests pass their own).
  static fhir::Result<std::unique_ptr<LaunchStore>> open(const std::filesystem::path& file,
                                                         Clock clock = std::chrono::system_clock::now);
  ~LaunchStore();
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
  fhir::Result<int> purge_expired();

 private:
  LaunchStore(std::unique_ptr<fhir::SqliteDatabase> db, Clock clock) : db_(std::move(db)), clock_(std::move(clock)) {}
  int64_t now_ms() const;

  std::unique_ptr<fhir::SqliteDatabase> db_;
  Clock clock_;
  std::mutex mutex_;
};

}  // namespace crdex::smart
